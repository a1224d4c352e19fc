"""How OpenMP's wait policy changes genq's speed on this machine, idle and sharing it; prints one JSON line.

    python bench/threads.py [--repeats 3] [--policies default,PASSIVE,ACTIVE]

Each measurement runs the same small workload in a fresh process (the OpenMP runtime reads its settings once, when it
starts): 200 DCGAN steps and 50 diffusion steps on the 8×8 digits, on the CPU with torch's default threads. Policies:
`default` leaves OMP_WAIT_POLICY unset (GNU OpenMP spins a short while, then sleeps), `PASSIVE` sleeps at once,
`ACTIVE` always spins. 'busy' runs the workload while another process (the same workload, policy unset, looping)
shares the cores: the case of a book build beside other work. Figures are seconds (best of `repeats`, taken in
turns), and each policy's ratio to `default` in the same condition.
"""
import argparse, json, os, platform, subprocess, sys, time

WORK = r"""
import time, torch
from genq.data import digits
from genq.models import gan
from genq.diffusion import diffusion, train_diffusion
from genq.train import train_gan
ds = digits()
t0 = time.perf_counter()
train_gan(gan(ds.shape, width=32), ds, steps=200, progress=False, device='cpu')
train_diffusion(diffusion(ds.shape, width=32), ds, steps=50, progress=False, device='cpu')
print(time.perf_counter() - t0)
"""

def env_for(policy: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != 'OMP_WAIT_POLICY'}
    return env if policy == 'default' else {**env, 'OMP_WAIT_POLICY': policy}

def seconds(policy: str) -> float:
    out = subprocess.run([sys.executable, '-c', WORK], env=env_for(policy), capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])

def measure(policies, repeats: int) -> dict:
    best = {p: float('inf') for p in policies}
    for _ in range(repeats):
        for p in policies: best[p] = min(best[p], seconds(p))
    return best

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--policies', default='default,PASSIVE,ACTIVE')
    a = ap.parse_args()
    policies = a.policies.split(',')
    result = dict(bench='threads', cores=os.cpu_count(), python=platform.python_version(), repeats=a.repeats)
    result['idle'] = measure(policies, a.repeats)
    loop = f"while True:\n" + '\n'.join('    ' + line for line in WORK.strip().splitlines())
    other = subprocess.Popen([sys.executable, '-c', loop], env=env_for('default'), stdout=subprocess.DEVNULL)
    try:
        time.sleep(5)
        result['busy'] = measure(policies, a.repeats)
    finally:
        other.kill()
    for cond in ('idle', 'busy'):
        result[f'{cond}_ratio'] = {p: round(result[cond][p] / result[cond]['default'], 2) for p in policies}
    print(json.dumps(result))

if __name__ == '__main__':
    main()
