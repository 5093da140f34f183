"""`manage.py simulate_fleet --count N [--seed S] …`: the RouterOS fleet simulator, as a command.

The same program as `python -m devices.simulator` (all its options pass through unchanged)."""

from django.core.management.base import BaseCommand

from devices.simulator.__main__ import main as simulator_main


class Command(BaseCommand):
    help = "Run the RouterOS fleet simulator (see devices/simulator/README.md; options as python -m devices.simulator)."

    def run_from_argv(self, argv):
        # argv: [manage.py, simulate_fleet, ...]; the simulator's own parser handles --help and errors
        raise SystemExit(simulator_main(argv[2:]))

    def handle(self, *args, **options):  # pragma: no cover - run_from_argv bypasses it
        raise SystemExit(simulator_main([]))
