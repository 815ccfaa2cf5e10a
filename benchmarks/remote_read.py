"""Reading a model over HTTP by range requests, against downloading it, as whole
processes against a real server (127.0.0.1, honouring `Range`, counting the bytes
it sends), measured in the same run on the same files:

  (a) kerascope inspect URL --format json: what the server sent, time, peak memory;
  (b) the bare minimum a script would do first: download the whole file (urllib).

Each is run with no added latency and with a 20 ms round trip per request, which
is what a hub or bucket adds. Targets: NASNetMobile <= 2 % of the file fetched
and a report equal to the local one; a 1 GB `.keras` <= 1 % fetched, <= 2 s,
<= 100 MiB peak memory.

    python benchmarks/remote_read.py [--repeat 3] [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from static_read import QUIET, build_files, peak_mib  # noqa: E402

from support.range_server import range_server  # noqa: E402

DOWNLOAD = """
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1]) as response:
    while response.read(1 << 20):
        pass
"""


def run_timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, check=True, env=QUIET, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def measure(path: Path, delay: float, repeat: int) -> None:
    size = path.stat().st_size
    with range_server(path.parent, delay=delay) as (base, served):
        url = f"{base}/{path.name}"
        ours = [sys.executable, "-m", "kerascope", "inspect", url, "--format", "json"]
        times, sent = [], []
        for _ in range(repeat):
            before, requests_before = served.bytes, len(served.requests)
            elapsed, out = run_timed(ours)
            times.append(elapsed)
            sent.append((served.bytes - before, len(served.requests) - requests_before))
        remote = json.loads(out)
        peak = peak_mib(ours)
        download = [sys.executable, "-c", DOWNLOAD, url]
        t_download = min(run_timed(download)[0] for _ in range(repeat))
    local = json.loads(
        subprocess.run(
            [sys.executable, "-m", "kerascope", "inspect", str(path), "--format", "json"],
            check=True,
            env=QUIET,
            capture_output=True,
            text=True,
        ).stdout
    )
    fetched, requests = sent[-1]
    same = {k: v for k, v in remote.items() if k not in ("source", "bytes_fetched")} == {
        k: v for k, v in local.items() if k not in ("source", "bytes_fetched")
    }
    print(f"  round trip {delay * 1000:.0f} ms:")
    print(
        f"    kerascope inspect URL : {min(times) * 1000:7.0f} ms (best of {repeat}), {fetched:,} bytes "
        f"= {fetched / size:.2%} of the file in {requests} requests, peak {peak:.1f} MiB, "
        f"report {'equal to' if same else 'DIFFERENT from'} the local one; it says {remote['bytes_fetched']:,} fetched"
    )
    print(
        f"    download the whole file: {t_download * 1000:7.0f} ms, {size:,} bytes   "
        f"ratio {min(times) / t_download:.2f}x the download's time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="remote read benchmarks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true", help="leave out the 1 GB file")
    args = parser.parse_args()
    files = build_files(args.skip_large)
    files.pop("ConvNeXtTiny", None)
    for name, path in files.items():
        print(f"\n{name}: {path.name}, {path.stat().st_size / 2**20:,.1f} MiB over HTTP")
        for delay in (0.0, 0.02):
            measure(path, delay, args.repeat)


if __name__ == "__main__":
    main()
