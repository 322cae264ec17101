"""The Da Vinci PAS 2.x channel: request and inquiry Bundles (bundle.py), the response reader
(response.py), the adapter (client.py) and the rest-hook notification reader (notification.py)."""

from priorauth.payers.pas.client import PasAdapter
from priorauth.payers.pas.notification import NotificationError, read_notification

__all__ = ["NotificationError", "PasAdapter", "read_notification"]
