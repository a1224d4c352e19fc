"""The survey of bad calls across the public API (tests/bad_call_survey.py, issue 15): at least 95% refused with an
error naming the argument, none crashing, none accepted unless documented, no input or model changed."""
import torch

from bad_call_survey import DOCUMENTED, attempt, summary, survey


def test_the_survey_tells_a_clear_error_from_an_unclear_one_a_crash_a_silent_result_and_a_mutation():
    def clear(x): raise ValueError(f"x should be positive. Got {x}.")
    def unclear(x): raise TypeError("unsupported operand type(s)")
    def crash(x): raise RuntimeError("deep inside")
    def silent(x): return x
    def mutates(x): x.add_(1); raise ValueError("x should be positive.")
    results = [attempt('f', f, dict(x=torch.zeros(2)), 'x', 'bad').result for f in (clear, unclear, crash, silent)]
    assert results == ['clear', 'unclear', 'crash', 'accepted']
    assert attempt('f', mutates, dict(x=torch.zeros(2)), 'x', 'bad').mutated


def test_bad_calls_across_the_public_api_get_clear_errors_and_change_nothing(tmp_path):
    outcomes = survey(tmp_path)
    table = summary(outcomes)
    print(table.to_string())
    assert (table.drop('all').clear > 0).all() and len(table) > 12       # every module was surveyed
    wrong = [o for o in outcomes if o.result in ('crash', 'accepted') or o.mutated]
    assert not wrong, '\n'.join(f"{o.result} {o.call}({o.arg}={o.bad}) {o.message}" for o in wrong)
    assert table.loc['all', 'clear_share'] >= 0.95, table
    used = {(o.call, o.arg, o.bad) for o in outcomes if o.result == 'documented'}
    assert set(DOCUMENTED) <= used, f"documented values no call took: {set(DOCUMENTED) - used}"
