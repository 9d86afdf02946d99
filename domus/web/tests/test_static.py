"""The vendored files survive production's static pipeline: the manifest storage
refuses any reference to a missing file (a source map, an image of a stylesheet)."""

import pytest
from django.core.management import call_command


@pytest.mark.once
def test_collectstatic_with_the_manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    names = {path.name for path in (tmp_path / "web" / "vendor").iterdir()}
    assert any(name.startswith("leaflet.") and name.endswith(".js") and name != "leaflet.js" for name in names)
