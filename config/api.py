"""The REST API (django-ninja): one router per app is added here."""

from ninja import NinjaAPI

api = NinjaAPI(title="Headwater API", version="1", urls_namespace="api")
