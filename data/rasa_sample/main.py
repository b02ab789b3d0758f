"""The program that gets profiled: one RulePolicy prediction over ~4k rules.

It follows the blog post's minimal script: load a policy that has 4,082
memorised rules, build a conversation with 2 featurized states, and call
predict_action_probabilities once from problem_function().

    RASA_LRU_MAXSIZE=1000 python3 -m cProfile -o out.prof main.py

data/regenerate.sh runs it that way for maxsize 1000 and 5000.
"""
import json
import random

import rule_policy
from rasa_support import ACTION_LISTEN_NAME, Domain, Tracker

N_RULES = 4082  # rule keys in the trained model of the blog post's bot
MATCHING_SHARE = 0.06  # share of rules whose last state fits the conversation

INTENTS = ["greet", "goodbye", "affirm", "deny", "inform", "thank", "chitchat",
           "ask_weather", "bot_challenge", "request_help", "out_of_scope", "stop"]
ACTIONS = ["utter_greet", "utter_goodbye", "utter_ask_city", "utter_help",
           "action_weather", "action_book", "utter_iamabot", "utter_default"]
ENTITIES = ["city", "date", "time", "cuisine", "number", "email"]
SLOTS = ["slot_%02d" % i for i in range(40)]

# The live conversation, already featurized: the user greeted, then asked for
# something with a city in it.  Slot values are tuples, as rasa's featurizer
# produces them.
CONVERSATION_SLOTS = {name: (1.0,) if i % 3 else (0.0, 1.0) for i, name in enumerate(SLOTS)}
CONVERSATION = [
    {"prev_action": {"action_name": ACTION_LISTEN_NAME},
     "user": {"intent": "greet"}},
    {"prev_action": {"action_name": ACTION_LISTEN_NAME},
     "user": {"intent": "inform", "entities": ("city",)},
     "slots": CONVERSATION_SLOTS},
]


def make_rule_key(rng, index):
    """One memorised rule: 1 to 3 states, serialised as RulePolicy stores it."""
    n_states = 1 + index % 3
    matching = rng.random() < MATCHING_SHARE
    states = []
    for position in range(n_states):
        last = position == n_states - 1
        names = SLOTS[index % 10:index % 10 + 20 + index % 11]  # 20 to 30 slots
        if last and matching:
            user = {"intent": "inform", "entities": ["city"]}
            slots = {name: list(CONVERSATION_SLOTS[name]) for name in names}
        else:
            user = {"intent": rng.choice(INTENTS), "entities": ENTITIES[:index % 4]}
            slots = {name: [float((index + k) % 2)] for k, name in enumerate(names)}
        states.append({
            "prev_action": {"action_name": ACTION_LISTEN_NAME if last else rng.choice(ACTIONS)},
            "user": user,
            "slots": slots,
        })
    return json.dumps(states, sort_keys=True)


def load_policy():
    """Stands in for loading the trained model: builds the rule lookup."""
    rng = random.Random(2822)
    rules = {}
    index = 0
    while len(rules) < N_RULES:
        rules[make_rule_key(rng, index)] = rng.choice(ACTIONS)
        index += 1
    policy = rule_policy.RulePolicy(lookup={rule_policy.RULES: rules})
    domain = Domain(sorted(ACTIONS + [ACTION_LISTEN_NAME]))
    return policy, domain


def problem_function():
    policy, domain = load_policy()
    tracker = Tracker("blog-reproduction", CONVERSATION, latest_text="a table in Berlin")
    return policy.predict_action_probabilities(tracker, domain, interpreter=None)


if __name__ == "__main__":
    prediction = problem_function()
    print("max confidence %.1f, lru maxsize %d, %s" % (
        prediction.max_confidence, rule_policy.LRU_MAXSIZE,
        rule_policy.RulePolicy._rule_key_to_state.cache_info()))
