from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "headwater.imports"
    label = "imports"

    def ready(self) -> None:
        from headwater.jobs.kinds import register_job_kind  # noqa: PLC0415  # apps are ready only here

        register_job_kind("imports.run", title=_("Import"))
        register_job_kind("imports.undo", title=_("Undo of an import"))
