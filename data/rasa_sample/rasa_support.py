"""Tiny stand-ins for the rasa classes that RulePolicy touches (stdlib only).

rasa builds these from a trained model and a live conversation.  Here they are
plain containers, so that the profile shows RulePolicy's own cost and nothing
else.
"""
from typing import Any, Dict, List, Optional, Text

# A featurized conversation state, e.g.
#   {"prev_action": {"action_name": "action_listen"},
#    "user": {"intent": "inform", "entities": ("city",)},
#    "slots": {"slot_00": (1.0,), ...}}
State = Dict[Text, Dict[Text, Any]]

ACTION_LISTEN_NAME = "action_listen"
ACTION_NAME = "action_name"
PREVIOUS_ACTION = "prev_action"
USER = "user"
INTENT = "intent"
TEXT = "text"


class Tracker:
    """The conversation so far, already featurized into one state per turn."""

    def __init__(self, sender_id: Text, states: List[State], latest_text: Text) -> None:
        self.sender_id = sender_id
        self.states = states
        self.latest_text = latest_text

    def past_states(
        self, domain: "Domain", use_text_for_last_user_input: bool = False
    ) -> List[State]:
        states = [dict(state) for state in self.states]
        if use_text_for_last_user_input:
            # rasa's end-to-end rules key the latest user turn on its text
            # instead of its intent
            states[-1][USER] = {TEXT: self.latest_text}
        return states


class Domain:
    """The actions the bot can take."""

    def __init__(self, action_names: List[Text]) -> None:
        self.action_names = list(action_names)
        self._index = {name: i for i, name in enumerate(self.action_names)}

    @property
    def num_actions(self) -> int:
        return len(self.action_names)

    def index_for_action(self, action_name: Text) -> int:
        return self._index[action_name]


class PolicyPrediction:
    """What a policy returns: one probability per action."""

    def __init__(
        self,
        probabilities: List[float],
        policy_name: Text,
        policy_priority: int = 1,
        events: Optional[List[Any]] = None,
    ) -> None:
        self.probabilities = probabilities
        self.policy_name = policy_name
        self.policy_priority = policy_priority
        self.events = events or []

    @property
    def max_confidence(self) -> float:
        return max(self.probabilities, default=0.0)
