"""Sign-ins to the admin, failed ones and lockouts included, go to the audit trail."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pracops.audit.models import AuditEvent
from pracops.audit.services import record_access, record_failed_login

ADMIN = AuditEvent.Source.ADMIN


@receiver(user_logged_in, dispatch_uid="pracops.audit.logged_in")
def audit_logged_in(sender, request, user, **kwargs) -> None:
    record_access(user=user, source=ADMIN, action=AuditEvent.Action.EXECUTE, subtype="login", request=request)


@receiver(user_logged_out, dispatch_uid="pracops.audit.logged_out")
def audit_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out when not signed in
        record_access(user=user, source=ADMIN, action=AuditEvent.Action.EXECUTE, subtype="logout",
                      request=request)


@receiver(user_login_failed, dispatch_uid="pracops.audit.login_failed")
def audit_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    # Django masks the password in ``credentials``; only the name tried is kept.
    record_failed_login(source=ADMIN, request=request, detail="sign-in refused",
                        username=str(credentials.get("username") or ""))


@receiver(user_locked_out, dispatch_uid="pracops.audit.locked_out")
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    record_access(user=None, source=ADMIN, action=AuditEvent.Action.EXECUTE, subtype="lockout",
                  outcome=AuditEvent.Outcome.SERIOUS_FAILURE, request=request,
                  outcome_detail="locked out after repeated failed sign-ins", agent_name=str(username or ""))
