"""The web service's documented entry point: `gunicorn 'webhooks.app:create_app()'` (webhooks.web.app)."""

from webhooks.web.app import create_app

__all__ = ["create_app"]
