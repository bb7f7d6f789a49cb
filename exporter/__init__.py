"""openrouter-exporter: Prometheus exporter for OpenRouter's public Data API."""

__version__ = "0.1.0"
