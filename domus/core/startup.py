"""What the WSGI and ASGI entry points do before they serve: refuse a broken configuration,
then get ready to serve (``prepare_to_serve``).

``manage.py check`` only runs when someone runs it, so a process started straight from
``domus.wsgi`` or ``domus.asgi`` runs the same system checks itself, deployment checks included,
and does not start while any of them reports an Error (for instance Daraja credentials with an
unauthenticated M-Pesa callback, ``finance.E001``). Warnings do not stop it; the ``release``
step's ``manage.py check --deploy --fail-level ERROR`` shows them.

``mail.E001`` (a console or in-memory e-mail backend) is left to that release step: such a
process loses e-mail but neither money nor access, and the embedded default, the benchmarks
and the tests run that way on purpose.
"""

import contextlib
import gc

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve

LEFT_TO_THE_RELEASE_STEP = frozenset({"mail.E001"})


def refuse_to_start_on_errors() -> None:
    """Raise ImproperlyConfigured, naming each check, when a system or deployment check reports
    an Error (or worse). Call it after ``django.setup()``."""
    messages = checks.run_checks(include_deployment_checks=True)
    errors = [
        message
        for message in messages
        if message.is_serious() and not message.is_silenced() and message.id not in LEFT_TO_THE_RELEASE_STEP
    ]
    if errors:
        raise ImproperlyConfigured("Domus refuses to start: " + " | ".join(str(error) for error in errors))


def prepare_to_serve() -> None:
    """Build what the first request would otherwise build (the route and alias indexes),
    then move every object loaded so far out of the garbage collector's reach
    (``gc.freeze``): a worker holds a quarter of a million long-lived objects after
    loading the app, and without this every full collection walks all of them, a pause
    of 100 ms or more in the middle of a request. Call it last, after the app is loaded."""
    from domus.core.routing import CANONICAL_PREFIX, alias_index

    alias_index()
    with contextlib.suppress(Resolver404):  # a project without the ops routes still serves
        resolve(f"{CANONICAL_PREFIX}ops/health/")
    gc.collect()
    gc.freeze()
