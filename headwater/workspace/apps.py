from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The pages around the records: home, an account's dashboard, its general settings."""

    name = "headwater.workspace"
    label = "workspace"
