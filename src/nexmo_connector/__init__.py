"""nexmo-connector: the Nexmo (Vonage) connector as a library, CLI, service and sandbox."""

from nexmo_connector.sms import SmsParts, sms_parts

__all__ = ["SmsParts", "sms_parts"]
__version__ = "0.1.0"
