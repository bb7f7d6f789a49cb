"""The monitoring mixin of openrouter-exporter: dashboards, recording rules, alerts and the
Kubernetes manifests, generated from one configuration (``mixin.config``).

    python -m mixin            # rewrite the committed files
    python -m mixin --check    # exit 1 when a committed file is not what this generates

Generation-time only: not part of the exporter's wheel.
"""
