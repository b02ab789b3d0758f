"""A small stand-in for rasa/core/policies/rule_policy.py (rasa 2.8.22).

Only the inference path that the "RulePolicy high CPU" profile is about is
reproduced:

    predict_action_probabilities -> _predict -> _find_action_from_rules (x2)
      -> _get_possible_keys -> <lambda> (line 895) -> _is_rule_applicable
      -> _rule_key_to_state (functools.lru_cache) -> json.loads

Every prediction filters *all* memorised rule keys, and every check turns the
key back into states with json.loads.  rasa caches that parse with
lru_cache(maxsize=1000).  With more rule keys than cache slots, a scan in a
fixed order evicts each entry before it is needed again, so nearly every
lookup misses.  RASA_LRU_MAXSIZE sets the cache size (default 1000, as in
rasa 2.8.22), so that the effect of a bigger cache can be profiled.

The methods on that path keep their rasa 2.8.22 line numbers: see the note
on padding below.  Part of pstatsviz's bundled sample (data/README.md).
"""
import functools
import json
import os
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa_support import Domain, PolicyPrediction, State, Tracker

# rasa 2.8.22 hard-codes maxsize=1000; the fix in the blog post was 5000.
LRU_MAXSIZE = int(os.environ.get("RASA_LRU_MAXSIZE", "1000"))

RULES = "rules"
SHOULD_NOT_BE_SET = "should_not_be_set"

# ---------------------------------------------------------------------------
# Why this file is mostly empty comment lines
#
# In the profile this sample reproduces (rasa 2.8.22), the hot spot is
# reported as rule_policy.py:895(<lambda>), the filter in
# RulePolicy._get_possible_keys, with predict_action_probabilities at
# line 1070, _predict at 1081 and _get_possible_keys at 887.  To let the
# sample be read side by side with the blog post and with real rasa
# profiles, this stand-in keeps those line numbers.  rasa fills the lines in
# between with training code, rule-contradiction checks and so on, none of
# which runs at inference time.  Rather than inventing code to fill them,
# they are left as the empty comment lines that follow.
#
# data/regenerate.sh checks the line numbers before profiling and fails if
# an edit has moved them.  If you add or remove lines above the class, take
# the same number of padding lines out or put them back.
# ---------------------------------------------------------------------------
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#
#


class RulePolicy:
    """Predicts the next action from memorised rules (inference only)."""

    def __init__(self, lookup: Dict[Text, Dict[Text, Text]], priority: int = 6) -> None:
        # lookup[RULES] maps a rule key (a JSON list of states) to an action
        self.lookup = lookup
        self.priority = priority

    @staticmethod
    @functools.lru_cache(maxsize=LRU_MAXSIZE)
    def _rule_key_to_state(rule_key: Text) -> List[State]:
        return json.loads(rule_key)

    @staticmethod
    def _does_rule_match_state(rule_state: State, conversation_state: State) -> bool:
        for state_type, rule_sub_state in rule_state.items():
            conversation_sub_state = conversation_state.get(state_type, {})
            for key, value_from_rules in rule_sub_state.items():
                if isinstance(value_from_rules, list):
                    # JSON turned the featurizer's tuples into lists
                    value_from_rules = tuple(value_from_rules)
                value_from_conversation = conversation_sub_state.get(key)
                if value_from_rules == SHOULD_NOT_BE_SET:
                    if value_from_conversation:
                        return False
                elif value_from_rules and value_from_conversation != value_from_rules:
                    return False
        return True

    def _is_rule_applicable(
        self, rule_key: Text, turn_index: int, conversation_state: State
    ) -> bool:
        """Whether the rule agrees with the conversation `turn_index` turns back."""
        # this parse is what the lru_cache is for
        reversed_rule_states = list(reversed(self._rule_key_to_state(rule_key)))
        return bool(
            # the rule is shorter than the conversation: nothing to contradict
            turn_index >= len(reversed_rule_states)
            # both states are empty
            or (not reversed_rule_states[turn_index] and not conversation_state)
            # every feature the rule asks for is in the conversation
            or (
                reversed_rule_states[turn_index]
                and conversation_state
                and self._does_rule_match_state(
                    reversed_rule_states[turn_index], conversation_state
                )
            )
        )

    def _get_possible_keys(
        self, lookup: Dict[Text, Text], states: List[State]
    ) -> Set[Text]:
        possible_keys = set(lookup.keys())
        for i, state in enumerate(reversed(states)):
            # keep the rule keys that agree with this turn (scans them all)
            possible_keys = set(
                filter(
                    lambda _key: self._is_rule_applicable(_key, i, state), possible_keys
                )
            )
        return possible_keys

    def _find_action_from_rules(
        self, tracker: Tracker, domain: Domain, use_text_for_last_user_input: bool
    ) -> Tuple[Optional[Text], Optional[Text]]:
        """The action of the best applicable rule and that rule's key."""
        states = tracker.past_states(domain, use_text_for_last_user_input)
        rule_keys = self._get_possible_keys(self.lookup[RULES], states)
        if not rule_keys:
            return None, None
        # several rules apply: the longest (most specific) one wins
        best_rule_key = max(sorted(rule_keys), key=len)
        return self.lookup[RULES][best_rule_key], best_rule_key

    # -----------------------------------------------------------------------
    # More padding, for the same reason as above: rasa 2.8.22 has its
    # default-action, loop and unhappy-path handling here, and this sample
    # keeps predict_action_probabilities on line 1070 and _predict on 1081.
    # -----------------------------------------------------------------------
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    #
    def predict_action_probabilities(
        self,
        tracker: Tracker,
        domain: Domain,
        interpreter: Any,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Entry point at inference time: called once per bot turn."""
        prediction, _ = self._predict(tracker, domain)
        return prediction

    def _predict(
        self, tracker: Tracker, domain: Domain
    ) -> Tuple[PolicyPrediction, Optional[Text]]:
        # as rasa does: rules keyed on the user's text first, then on the intent
        action_from_text, source_from_text = self._find_action_from_rules(
            tracker, domain, use_text_for_last_user_input=True
        )
        action_from_intent, source_from_intent = self._find_action_from_rules(
            tracker, domain, use_text_for_last_user_input=False
        )
        if action_from_text is not None:
            action, source = action_from_text, source_from_text
        else:
            action, source = action_from_intent, source_from_intent

        probabilities = [0.0] * domain.num_actions
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        prediction = PolicyPrediction(probabilities, type(self).__name__, self.priority)
        return prediction, source
