"""python -m devstack COMMAND: what the Makefile's stack targets run."""

from __future__ import annotations

import argparse
import signal
import sys
import warnings

# the libraries' import-time deprecation notes (eventlet, cryptography via dnspython) are not the stack's news
warnings.simplefilter("ignore")

from devstack import local, run, tools  # noqa: E402
from devstack.common import ENV_FILE, StackError, say, warn  # noqa: E402

COMMANDS = {
    "up": "start RabbitMQ and the store where missing, wait until they answer, write .stack/env",
    "down": "stop what this checkout's .stack/ says it started",
    "down-started": "stop only what the last `up` had to start",
    "status": "one line per server and process; exit 0 when the broker and the store answer",
    "env": "print .stack/env (AMQP_URI, RABBIT_API_URI, MONGODB_URI)",
    "start": "start the suite's processes (and the local OpenID provider) on the stack; wait for /health",
    "stop": "stop the suite's processes and the local OpenID provider",
    "browser": "install Chromium and a Chinese font for the browser tests (Debian's)",
    "tools": "install the validators the deploy tests run into .stack/bin",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack", description=__doc__.split(":", 1)[1].strip(),
        epilog="AMQP_URI / RABBIT_API_URI / MONGODB_URI point at servers of your own (nothing is started "
               "for them); STACK_TIMEOUT is the start-up wait in seconds (default 90).")
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND",
                        help="; ".join(f"{name}: {text}" for name, text in COMMANDS.items()))
    args = parser.parse_args(argv)
    # a TERM (make interrupted, CI cancelled) unwinds like Ctrl-C: a half-done up stops what it started
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if args.command == "up":
            local.up()
        elif args.command == "down":
            local.down()
        elif args.command == "down-started":
            local.down_started()
        elif args.command == "status":
            stack_ok = local.status()
            run.status()
            return 0 if stack_ok else 1
        elif args.command == "env":
            if not ENV_FILE.exists():
                raise StackError("no .stack/env yet: run `make stack-up` first")
            sys.stdout.write(ENV_FILE.read_text())
        elif args.command == "start":
            run.start()
        elif args.command == "stop":
            run.stop()
        elif args.command == "browser":
            say(f"browser: {tools.browser()}")
        elif args.command == "tools":
            say(f"tools: {tools.validators()}")
    except StackError as exc:
        warn(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
