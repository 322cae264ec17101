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
    # A screening list answered after a colon.
    ("Red flag screening:\n - Fever/chills: denies. Temp 98.4.\n - New weakness in legs: denies\n"
     " - Loss of bowel/bladder control: denies", {"fever_or_infection": False, "progressive_weakness": False,
                                                 "bowel_bladder_dysfunction": False}),
    ("Saddle anesthesia: no\nFever: yes, 101.2 last night", {"saddle_anesthesia": False, "fever_or_infection": True}),
    ("HPI: denies fever. ROS: no fevers, no bowel/bladder symptoms.", {"fever_or_infection": False, "bowel_bladder_dysfunction": False}),
    ("No B/B changes, no saddle anesthesia.", {"bowel_bladder_dysfunction": False, "saddle_anesthesia": False}),
    ("Constitutional: Negative for chills, fever and unexpected weight change.",
     {"fever_or_infection": False, "unexplained_weight_loss": False}),
    ("Weight stable.", {"unexplained_weight_loss": False}),
    ("Reports a weight change of 10 lb since spring.", {}),
    ("Call back or go to the ED for temp > 100.4, new leg weakness, or bladder/bowel changes.", {}),
    ("Return to the ED right away for loss of bladder or bowel control, numbness in the groin, fever, or new leg weakness.", {}),
    ("No change in bowel or bladder habit apart from long-standing nocturia.", {"bowel_bladder_dysfunction": False}),
    # A relative as informant is not family history.
    ("He denies progressive weakness and daughter agrees.", {"progressive_weakness": False}),
    ("Per his wife, he has had fevers at night.", {"fever_or_infection": True}),
    ("Her mother had breast cancer.", {}),
    ("Consent: risks including infection, bleeding and nerve injury were discussed.", {}),
    ("6. ER for new arm weakness, trouble walking, or bladder changes.", {}),
    ("No night pain, no fevers. Bowel and bladder normal.", {"fever_or_infection": False, "bowel_bladder_dysfunction": False}),
    ("Loss of bladder or bowel control ......... [ ] yes  [x] no\nFever or chills ......... [x] yes  [ ] no\n",
     {"bowel_bladder_dysfunction": False, "fever_or_infection": True}),
    ("Red flags: [ ] fever  [x] saddle anesthesia  ☐ weight loss", {"fever_or_infection": False, "saddle_anesthesia": True,
                                                                   "unexplained_weight_loss": False}),
    ("Since this AM numbness in groin/perineum, couldn't void x 8 h. L foot dragging, worse since yesterday. No fever.",
     {"saddle_anesthesia": True, "bowel_bladder_dysfunction": True, "progressive_weakness": True, "fever_or_infection": False}),
])
def test_red_flag_phrasings(facts_of, note, expected):
    assert flags(facts_of(note)) == expected
