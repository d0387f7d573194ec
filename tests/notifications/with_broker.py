#!/usr/bin/python3
"""Run a command beside a RabbitMQ broker of its own (tests/helpers/
rabbitmq.py), its amqp:// URL in $VALET_TEST_AMQP_URL; exit with the
command's status, or 77 (skipped) without rabbitmq-server.

Usage: with_broker.py COMMAND [ARG...]
"""
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "helpers"))
import rabbitmq  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if not rabbitmq.available():
        print("skipped: needs rabbitmq-server")
        return 77
    broker = rabbitmq.Broker()
    try:
        env = dict(os.environ, VALET_TEST_AMQP_URL=broker.url)
        return subprocess.run(sys.argv[1:], env=env, check=False).returncode
    finally:
        broker.close()


if __name__ == "__main__":
    sys.exit(main())
