"""`manage.py demo_setup [--count 20 --seed 1 --mode auto --api-port 8728]`: the demo tenant.

Registers the routers of the fleet simulator (`python -m devices.simulator` with the same
count and seed) for a tenant "Demo" with two sites, a credential profile and the super admin as
its admin. Idempotent; `make run` calls it with the simulator's actual layout (see
mikman/launcher). Details: devices/demo.py."""

from django.core.management.base import BaseCommand, CommandError

from devices import demo
from tenants.models import User


class Command(BaseCommand):
    help = "Create or refresh the demo tenant with the simulated fleet's routers (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=20, help="routers the simulator runs (MIKMAN_DEMO_DEVICES)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--mode", choices=("auto", "addresses", "ports"), default="auto")
        parser.add_argument("--api-port", type=int, default=8728, help="the simulator's API (base) port")
        parser.add_argument("--owner", default="", help="super admin who becomes the demo's admin (default: the first)")
        parser.add_argument(
            "--control-url",
            default="",
            help="the simulator's control endpoint: the devices' Simulator panel and router #0 as RADIUS NAS",
        )
        parser.add_argument(
            "--receiver-url",
            default="",
            help="the platform's own base URL (e.g. http://127.0.0.1:8000): the demo's “Demo receiver” webhook channel",
        )
        parser.add_argument("--no-radius-nas", action="store_true", help="no demo NAS (the RADIUS server is off)")
        parser.add_argument("--nas-coa-port", type=int, default=3799, help="where the demo NAS takes Disconnect/CoA")
        parser.add_argument("--radius-auth-port", type=int, default=11812, help="the platform's RADIUS auth port")
        parser.add_argument("--radius-acct-port", type=int, default=11813, help="the platform's RADIUS accounting port")

    def handle(
        self,
        *args,
        count,
        seed,
        mode,
        api_port,
        owner,
        control_url="",
        receiver_url="",
        no_radius_nas=False,
        radius_auth_port=11812,
        radius_acct_port=11813,
        nas_coa_port=3799,
        **options,
    ):
        if count < 1 or not 0 < api_port < 65536:
            raise CommandError("--count must be at least 1 and --api-port a TCP port.")
        user = User.objects.filter(username=owner, is_super_admin=True).first() if owner else demo.default_owner()
        if user is None:
            raise CommandError("No super admin to own the demo tenant: run `manage.py bootstrap_admin` first.")
        routers = demo.simulated_routers(count, seed, mode, api_port)
        report = demo.setup_demo(user, routers)
        self.stdout.write(
            f"demo tenant “{report.tenant.name}” (/t/{report.tenant.slug}/): {len(report.created)} device(s) added, "
            f"{len(report.updated)} re-addressed, {report.unchanged} unchanged; {user.username} is its admin."
        )
        if control_url and receiver_url:
            from devices.alerts import demo as alert_demo
            from tenants.access import load_site_scope, resolve_access
            from tenants.context import tenant_context

            with tenant_context(report.tenant.pk):
                access = load_site_scope(resolve_access(user, report.tenant))
            alert_demo.configure(access, control_url, {r.name: r.index for r in routers}, receiver_url)
            self.stdout.write(
                "alerting demo: make a router fail on its device page (Simulator panel); the alert arrives at "
                f"/t/{report.tenant.slug}/alerts/receiver/"
            )
        if control_url and not no_radius_nas:
            try:
                line = demo.setup_demo_nas(
                    user,
                    routers,
                    control_url,
                    auth_port=radius_auth_port,
                    acct_port=radius_acct_port,
                    coa_port=nas_coa_port,
                )
            except (demo.SimulatorUnavailable, ValueError) as exc:
                raise CommandError(f"demo NAS not set up: {exc}") from None
            self.stdout.write(line)
