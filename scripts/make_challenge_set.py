"""Write data/challenge/challenge.csv: the violence and dehumanisation challenge set.

Every row comes from a template written by hand (see data/challenge/README.md) crossed with a
few targets, places or numbers; evasion variants disguise the harmful words of some rows the
way readers do (spacing, separators, digits, look-alike letters). Deterministic: the same
script writes the same file. Evaluation only: never train on these rows.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "challenge" / "challenge.csv"

GROUPS = [
    "these people",
    "immigrants",
    "the refugees",
    "Muslims",
    "Jews",
    "gay people",
    "the protesters",
    "those travellers",
    "the Roma",
    "Black people",
]
PEOPLE = [
    "the mayor",
    "this reporter",
    "the author",
    "that judge",
    "the councillor",
    "the minister",
]

# (template id, category, target kind, text with {g} a group or {p} a person)
HARMFUL = [
    ("v01", "violence", "group", "{G} are animals and should be wiped out."),
    ("v02", "violence", "group", "Someone needs to start shooting {g}."),
    ("v03", "violence", "group", "Round up {g} and hang them all."),
    ("v04", "violence", "group", "{G} deserve to die, every last one of them."),
    ("v05", "violence", "group", "Burn their homes down, {g} will never learn otherwise."),
    ("v06", "violence", "group", "Time to take up arms against {g}."),
    ("v07", "violence", "group", "Kill them all. Start with {g}."),
    ("v08", "violence", "group", "{G} should be exterminated like rats."),
    ("v09", "violence", "person", "Someone should put a bullet in {p}."),
    ("v10", "violence", "person", "{P} deserves to be beaten to death."),
    ("v11", "violence", "person", "Hang {p} from the nearest lamppost."),
    ("v12", "violence", "person", "I hope someone stabs {p} on the way home."),
    ("d01", "dehumanising", "group", "{G} are vermin."),
    ("d02", "dehumanising", "group", "{G} are nothing but parasites infesting this country."),
    ("d03", "dehumanising", "group", "{G} are subhuman filth."),
    ("d04", "dehumanising", "group", "{G} breed like rats."),
    ("d05", "dehumanising", "group", "{G} are a disease, a plague on this nation."),
    ("d06", "dehumanising", "group", "{G} are cockroaches, plain and simple."),
    ("d07", "dehumanising", "group", "{G} aren't even human."),
    ("d08", "dehumanising", "person", "{P} is a filthy animal."),
    ("d09", "dehumanising", "person", "{P} is vermin and should be treated like it."),
    ("d10", "dehumanising", "person", "{P} is a parasite, not a person."),
    ("t01", "threat", "person", "I know where {p} lives. I'm coming."),
    ("t02", "threat", "person", "{P} better watch out, we will find you."),
    ("t03", "threat", "person", "Keep writing this and {p} will end up in a ditch."),
    ("t04", "threat", "person", "I will hurt {p} if this goes on."),
    ("t05", "threat", "person", "We are going to make {p} pay in blood."),
    ("t06", "threat", "person", "{P} should sleep with one eye open from now on."),
]

PLACES = ["Kabul", "the city centre", "a village near the border", "the market", "Lagos"]
NUMBERS = ["20", "three", "dozens of", "12", "more than 100"]
BENIGN = [
    ("r01", "reporting", "The attack killed {n} people in {place}."),
    ("r02", "reporting", "Police say the gunman shot {n} people in {place} before his arrest."),
    ("r03", "reporting", "The bombing in {place} wiped out an entire neighbourhood."),
    ("r04", "reporting", "Rebels are accused of massacring {n} villagers near {place}."),
    ("r05", "reporting", "Floods in {place} left {n} people dead, officials said."),
    ("r06", "reporting", "The trial heard that the victim in {place} was beaten to death."),
    ("r07", "reporting", "Troops opened fire on protesters in {place}, killing {n}."),
    ("q01", "quoting", "The senator called migrants in {place} 'animals', which is disgraceful."),
    (
        "q02",
        "quoting",
        "Calling people vermin, as the minister did in {place}, has a dark history.",
    ),
    ("q03", "quoting", "He was jailed for posting 'they deserve to die' about people in {place}."),
    (
        "q04",
        "quoting",
        "Witnesses in {place} say the crowd chanted 'hang them' before police came.",
    ),
    (
        "q05",
        "quoting",
        "Historians note that genocide in {place} began with words like 'cockroaches'.",
    ),
    ("q06", "quoting", "The judge read out his threat, 'I know where you live', to the court."),
    ("i01", "idiom", "The band absolutely killed it in {place} last night."),
    ("i02", "idiom", "This plan would wipe out the deficit within {n} years."),
    ("i03", "idiom", "I'm dying to see what the council does in {place} next."),
    ("i04", "idiom", "The new tax will kill small businesses in {place}."),
    ("i05", "idiom", "Our team got slaughtered in the final in {place}."),
    ("i06", "idiom", "We need to attack the housing problem in {place} head-on."),
    ("i07", "idiom", "Cheap imports are wiping out local farms around {place}."),
    ("i08", "idiom", "The council must exterminate the rat infestation in {place}."),
    ("i09", "idiom", "That striker murdered the free kick, what a goal."),
    ("i10", "idiom", "My feet are killing me after the march through {place}."),
    ("i11", "idiom", "The opposition got crushed in the vote, {n} seats lost."),
    ("i12", "idiom", "If the bridge closes again I will lose my mind."),
]

# Words whose disguise the evasion variants try, and how each variant disguises them.
DISGUISED = [
    "wiped out",
    "shooting",
    "hang",
    "die",
    "burn",
    "arms",
    "kill",
    "exterminated",
    "bullet",
    "beaten",
    "stabs",
    "vermin",
    "parasites",
    "subhuman",
    "rats",
    "plague",
    "cockroaches",
    "human",
    "animal",
    "parasite",
    "hurt",
    "blood",
    "ditch",
    "animals",
]
CONFUSABLE = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "p": "\u0440"}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def spaced(word: str) -> str:
    return " ".join(word)


def dotted(word: str) -> str:
    return ".".join(word)


def hyphen_caps(word: str) -> str:
    return word.upper().replace(" ", "-")


def leet(word: str) -> str:
    return "".join(LEET.get(c, c) for c in word)


def look_alike(word: str) -> str:
    return "".join(CONFUSABLE.get(c, c) for c in word)


def stretched(word: str) -> str:
    return "".join(c * 3 if c in "aeiou" else c for c in word)


DISGUISES = [
    ("spaced", spaced),
    ("dotted", dotted),
    ("caps-hyphen", hyphen_caps),
    ("digits", leet),
    ("look-alike", look_alike),
    ("stretched", stretched),
]


def disguise(text: str, how: str) -> str:
    function = dict(DISGUISES)[how]
    for word in sorted(DISGUISED, key=len, reverse=True):
        for candidate in (word, word.capitalize()):
            index = text.find(candidate)
            if index >= 0 and (index == 0 or not text[index - 1].isalpha()):
                end = index + len(candidate)
                if end == len(text) or not text[end].isalpha():
                    return text[:index] + function(candidate.lower()) + text[end:]
    return text


def rows() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for template, category, target, text in HARMFUL:
        targets = GROUPS if target == "group" else PEOPLE
        for n, who in enumerate(targets):
            filled = text.format(
                g=who, G=who[0].upper() + who[1:], p=who, P=who[0].upper() + who[1:]
            )
            out.append(row(template, category, target, filled, "plain"))
            # One disguised copy of every other row, each disguise in turn.
            if n % 2 == 0:
                how = DISGUISES[(n // 2 + len(out)) % len(DISGUISES)][0]
                disguised = disguise(filled, how)
                if disguised != filled:
                    out.append(row(template, category, target, disguised, how))
    for template, category, text in BENIGN:
        for n in range(len(PLACES)):
            filled = text.format(place=PLACES[n], n=NUMBERS[(n + 1) % len(NUMBERS)])
            if filled not in {r["text"] for r in out}:
                out.append(row(template, category, "none", filled, "plain"))
    return out


def row(template: str, category: str, target: str, text: str, variant: str) -> dict[str, str]:
    harmful = category in {"violence", "dehumanising", "threat"}
    return {
        "id": "ch-" + hashlib.sha256(text.encode()).hexdigest()[:12],
        "text": text,
        "category": category,
        "harmful": "1" if harmful else "0",
        "target": target,
        "template": template,
        "variant": variant,
    }


def main() -> None:
    written = rows()
    with OUT.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(written[0]))
        writer.writeheader()
        writer.writerows(written)
    print(f"wrote {len(written)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
