"""The call-center ACD: agents, queues, tiers, skills, strategies and one matcher."""

from softswitch.acd.agent import Agent, State, Status, TransitionRefused
from softswitch.acd.engine import Acd, UnknownName
from softswitch.acd.queue import OverflowTarget, QueueConfig, Tier
from softswitch.acd.strategies import STRATEGIES

__all__ = ["STRATEGIES", "Acd", "Agent", "OverflowTarget", "QueueConfig", "State", "Status",
           "Tier", "TransitionRefused", "UnknownName"]
