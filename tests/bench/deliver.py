"""Time and peak memory of `modelops deliver` to N recipients, each scoped to one business
unit by the access policy, on a demo warehouse, into a real SMTP server on 127.0.0.1.

    uv run modelops demo --models 2000 --warehouse /tmp/wh.duckdb
    uv run python tests/bench/deliver.py --warehouse /tmp/wh.duckdb [--recipients 200]

The SMTP server (aiosmtpd) runs in this process's thread; peak memory is the process's
maximum resident set (ru_maxrss), which includes DuckDB's, the server's and Python's.
"""

from __future__ import annotations

import argparse
import resource
import socket
import tempfile
import time
from pathlib import Path

import duckdb
from aiosmtpd.controller import Controller

from modelops.delivery.run import deliver
from modelops.delivery.subscriptions import load_subscriptions


class Sink:
    def __init__(self):
        self.count = 0
        self.bytes = 0
        self.first: bytes | None = None

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.first = self.first or envelope.content
        self.bytes += len(envelope.content)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--week", default=None)
    parser.add_argument("--save-first", metavar="FILE.eml",
                        help="keep the first message the server received (docs' screenshot)")
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)
    units = [u for (u,) in con.execute(
        "SELECT business_unit_id FROM business_units ORDER BY 1").fetchall()]
    week = args.week or con.execute(
        "SELECT strftime(max(hour) - INTERVAL 7 DAY, '%G-W%V') FROM metrics_hourly"
    ).fetchall()[0][0]
    con.close()
    addresses = [f"manager{n:03d}@example.com" for n in range(args.recipients)]
    folder = Path(tempfile.mkdtemp(prefix="modelops-bench-deliver-"))
    policy = folder / "policy.toml"
    policy.write_text("[grants]\n" + "".join(
        f'"{a}" = ["{units[n % len(units)]}"]\n' for n, a in enumerate(addresses)))
    config = folder / "modelops.toml"
    config.write_text("[subscriptions.bench]\nto = [" + ", ".join(
        f'"{a}"' for a in addresses) + ']\nsend = ["review", "xlsx"]\ngroup_by = "team"\n')
    sink = Sink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {"MODELOPS_SMTP_HOST": "127.0.0.1", "MODELOPS_SMTP_PORT": str(port),
           "MODELOPS_SMTP_SECURITY": "none", "MODELOPS_MAIL_FROM": "ops@example.com",
           "MODELOPS_ACCESS_POLICY": str(policy)}
    try:
        started = time.perf_counter()
        results = deliver(list(load_subscriptions(config).values()), week, args.warehouse,
                          env=env)
        took = time.perf_counter() - started
    finally:
        controller.stop()
    if args.save_first and sink.first:
        Path(args.save_first).write_bytes(sink.first)
    sent = sum(r.status == "sent" for r in results)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"week {week}: {sent}/{len(results)} sent to {len(units)} business units' "
          f"managers in {took:.1f} s ({took / max(sent, 1) * 1000:.0f} ms each); "
          f"{sink.count} messages, {sink.bytes / 1e6:.1f} MB; peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
