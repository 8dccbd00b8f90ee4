from django.urls import path

from headwater.leadforms import public

app_name = "leadforms_public"

urlpatterns = [
    path("embed.js", public.embed_js, name="embed_js"),
    path("<str:key>", public.hosted, name="hosted"),
    path("<str:key>/thanks", public.thanks, name="thanks"),
    path("<str:key>/submit", public.submit, name="submit"),
    path("<str:key>/form.json", public.description, name="description"),
]
