"""IVR flows as data, and a sans-IO interpreter of digits, prompt ends and timeouts."""

from softswitch.ivr.demo import DEMO_FLOW
from softswitch.ivr.flow import FlowError, validate_flow
from softswitch.ivr.session import IvrSession

__all__ = ["DEMO_FLOW", "FlowError", "IvrSession", "validate_flow"]
