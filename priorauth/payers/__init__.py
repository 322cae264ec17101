"""Payer channels: one package per way of reaching a payer (pas/, fax/), chosen by name
through settings.PRIORAUTH_PAYER_ADAPTERS (see base.adapter_for)."""
