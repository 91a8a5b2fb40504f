"""The connector service: connections nobody else can use, the nine actions over HTTP,
the per-connection throttle and idempotent sends (the ``service`` extra)."""
