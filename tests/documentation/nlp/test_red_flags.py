import pytest


def flags(facts: dict) -> dict:
    return {f["flag"]: f["present"] for f in facts["red_flags"]}


@pytest.mark.parametrize("note, expected", [
    ("ROS: denies arm weakness.", {"progressive_weakness": False}),
    ("Negative for numbness or weakness.", {"progressive_weakness": False}),
    ("Her right leg has become increasingly weaker since May.", {"progressive_weakness": True}),
    ("Mild weakness of the left EHL.", {}),
    ("Afebrile today.", {"fever_or_infection": False}),
    ("Reports tingling in the saddle region when sitting.", {"saddle_anesthesia": True}),
    ("She has lost 20 pounds unintentionally since spring.", {"unexplained_weight_loss": True}),
    ("Denies any bladder/bowel problems.", {"bowel_bladder_dysfunction": False}),
    ("Bladder and bowel function is normal.", {"bowel_bladder_dysfunction": False}),
    ("Patient has no history of cancer.", {"history_of_cancer": False}),
    ("Her sister died of ovarian cancer; she herself has no personal history of cancer.", {"history_of_cancer": False}),
    ("Call sooner for new weakness or loss of bladder control.", {}),
    ("Right grip is getting weaker; the biceps reflex is absent.", {"progressive_weakness": True}),
])
def test_red_flag_phrasings(facts_of, note, expected):
    assert flags(facts_of(note)) == expected
