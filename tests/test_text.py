"Text corpus, defects and the language model: what the chapters do not show (seeds, provenance, the NaN guard)."
import os

import pandas as pd
import pytest
import torch

from genq import text as X, lm as Lm
from genq.train import TrainingDiverged, batch_drawer

TRUTH = X.people(40, seed=5)
TS = X.corpus(TRUTH, mentions=2, rewrite=True, seed=5)
VOCAB = X.Vocab.of()


@pytest.mark.parametrize('defect', [lambda ts, s: X.duplicate_docs(ts, 0.3, copies=2, seed=s),
                                    lambda ts, s: X.near_duplicate_docs(ts, 0.3, seed=s),
                                    lambda ts, s: X.contradictions(ts, TRUTH, 0.3, seed=s),
                                    lambda ts, s: X.junk_docs(ts, 0.3, seed=s),
                                    lambda ts, s: X.truncate_docs(ts, 0.3, seed=s)])
def test_defects_are_seeded_keep_ids_unique_and_leave_the_input_alone(defect):
    before = (list(TS.docs), TS.ids.clone(), TS.person.clone())
    a, b, c = defect(TS, 0), defect(TS, 0), defect(TS, 1)
    assert a.ds.docs == b.ds.docs and torch.equal(a.mask, b.mask)
    assert a.ds.docs != c.ds.docs
    assert len(set(a.ds.ids.tolist())) == len(a.ds) == len(a.mask)
    assert TS.docs == before[0] and torch.equal(TS.ids, before[1]) and torch.equal(TS.person, before[2])


def test_a_paraphrase_rewords_one_sentence_and_keeps_every_fact():
    out, mask = X.near_duplicate_docs(TS, 0.5, seed=2)
    for copy, source in out.meta['duplicate_of'].items():
        new, old = out.docs[int((out.ids == copy).nonzero())], TS.docs[source]
        assert sorted(X.facts(new)) == sorted(X.facts(old))
        changed = [a != b for a, b in zip(X._sentences(new), X._sentences(old))]
        assert sum(changed) == 1


def test_every_recorded_false_fact_is_false_and_stated_once():
    out, mask = X.contradictions(TS, TRUTH, 0.5, seed=3)
    for doc_id, person, attribute, value in out.meta['false_facts']:
        doc = out.docs[int((out.ids == doc_id).nonzero())]
        stated = {a: v for n, a, v in X.facts(doc)}
        assert stated[attribute] == value != TRUTH[attribute][person]
        assert all(stated[a] == TRUTH[a][person] for a in X.ATTRIBUTES if a != attribute)


def test_the_training_loop_draws_token_rows_and_refuses_other_things():
    rows = X.tokens(TS, VOCAB)
    x, y = batch_drawer(rows, 8, seed=0)(0)
    assert x.shape == (8, rows.x.shape[1]) and y is None
    with pytest.raises(TypeError, match='ImageSet or a TokenSet'): batch_drawer(TS, 8)


def test_a_diverging_language_model_is_stopped_with_its_last_good_weights():
    rows = X.tokens(TS, VOCAB)
    model = Lm.LM(len(VOCAB), context=rows.x.shape[1], width=16, depth=1, heads=2)
    with torch.no_grad(): model.tok.weight[5, 0] = float('nan')          # a poisoned embedding: the loss is NaN
    with pytest.raises(TrainingDiverged, match='step 1'):
        Lm.train_lm(model, rows, steps=20, batch_size=len(rows), progress=False, log_every=5)


def test_training_is_reproducible_on_the_cpu():
    rows = X.tokens(TS, VOCAB)
    def run():
        torch.manual_seed(0)
        model = Lm.LM(len(VOCAB), context=rows.x.shape[1], width=16, depth=1, heads=2)
        return Lm.train_lm(model, rows, steps=10, batch_size=16, seed=4, progress=False, device='cpu')[1].losses
    assert torch.equal(run(), run())


def test_minhash_agrees_with_the_exact_jaccard_similarity():
    "datasketch's MinHash estimates, on a sample of pairs, against the exact Jaccard similarity of the shingle sets."
    from datasketch import MinHash
    from genq.text_audit import shingles, jaccard, minhash_pairs
    out = X.near_duplicate_docs(X.corpus(TRUTH, seed=1), 0.5, seed=1).ds
    sets = [shingles(d) for d in out.docs]
    hashes = MinHash.bulk([[s.encode() for s in x] for x in sets], num_perm=128, seed=1)
    g = torch.Generator().manual_seed(0)
    pairs = [tuple(p) for p in torch.randint(len(sets), (300, 2), generator=g).tolist() if p[0] != p[1]]
    pairs += [(o, int((out.ids == c).nonzero())) for c, o in out.meta['duplicate_of'].items()]
    err = torch.tensor([hashes[i].jaccard(hashes[j]) - jaccard(sets[i], sets[j]) for i, j in pairs]).abs()
    assert err.mean() < 0.03 and err.max() < 0.2, (err.mean(), err.max())
    found = set(minhash_pairs(sets, 0.6))                      # LSH proposes every pair well above its threshold
    similar = {(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets)) if jaccard(sets[i], sets[j]) >= 0.75}
    assert similar and similar <= found


def test_the_text_studies_tool_saves_rows_with_provenance_that_the_chapter_can_read(tmp_path):
    import subprocess, sys
    from pathlib import Path
    from genq.experiment import load_results, result_status
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, 'GENQ_QUICK': '1', 'GENQ_CACHE': str(tmp_path / 'cache')}
    script = root / 'tools' / 'text_studies.py'
    tool = lambda out, *args: subprocess.run([sys.executable, script, tmp_path / out, *args], capture_output=True,
                                             text=True, env=env)
    r = tool('a', 'long_tail', '--seeds', '3', '--jobs', '1')
    assert r.returncode == 0, r.stderr[-2000:]
    rows, prov = load_results(tmp_path / 'a' / 'text_long_tail.json')
    assert prov['study'] == 'text_long_tail' and prov['seeds'] == [3] and prov['scale'] == 'quick'
    assert result_status(prov) == 'current' and set(rows.seed) == {3}
    assert (rows.answers > 0).all() and rows.correct.between(0, 1).all() and 0 in set(rows.mentions)
    again = tool('b', 'long_tail', '--seeds', '3')                  # the run is cached: none to make, the same rows
    assert again.returncode == 0 and '0 runs to make' in again.stdout, again.stdout + again.stderr[-2000:]
    pd.testing.assert_frame_equal(load_results(tmp_path / 'b' / 'text_long_tail.json')[0], rows)
    late = tool('c', 'long_tail', '--seeds', '4', '--jobs', '2', '--until', '0')    # past its deadline: no run made
    assert late.returncode == 0 and 'seeds finished []: not saved' in late.stdout, late.stdout + late.stderr[-2000:]
    assert not (tmp_path / 'c' / 'text_long_tail.json').exists()
    bad = subprocess.run([sys.executable, root / 'tools' / 'text_studies.py', tmp_path, 'tails'], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and 'unknown studies' in bad.stderr
