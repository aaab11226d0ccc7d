"""The `groove` command. `groove hook ...` takes a fast path: a hook is a fresh process
per Claude Code event with a deadline, so it skips the CLI's imports."""

import sys


def main() -> None:
    if sys.argv[1:2] == ["hook"]:
        from groove.hooks import main as hook

        sys.exit(hook(sys.argv[2:]))
    from groove.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
