"""Write data/news_register/news_register.csv: harmless news comments that use violent words.

Jigsaw's talk pages rarely report a war or praise a band that "killed it", so the toxicity model
learns "killed", "shot" or "wipe out" as signs of abuse, and holds readers who discuss the news.
These rows are training signal for the toxicity label (all harmless, toxicity 0): readers
reporting violence, quoting or condemning what someone said, and idioms, in the register of
comments under news articles. Every row comes from a template written by hand (see
data/news_register/README.md) crossed with places, numbers and subjects that the challenge set
does not use. Deterministic: the same script writes the same file.

Written apart from the challenge set (data/challenge/), which stays evaluation only: no
template here restates one of its templates, and tests/scripts/test_evaluation_sets.py checks
that no five-word run of a challenge row occurs in these rows.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "news_register" / "news_register.csv"

# None of these appears in the challenge set's places.
PLACES = [
    "Mosul",
    "Aleppo",
    "Khartoum",
    "Mogadishu",
    "Kharkiv",
    "Port-au-Prince",
    "the northern province",
    "the capital",
    "a suburb of Marseille",
    "Manchester",
    "the transit camp",
    "downtown Chicago",
    "the coastal town",
    "Mindanao",
    "the harbour district",
    "Bogota",
]
NUMBERS = ["two", "seven", "14", "about 40", "at least 300", "nine", "hundreds of", "six"]
YEARS = ["1994", "2003", "1945", "2015", "1972", "2011"]
SUBJECTS = [
    "the council",
    "the government",
    "the club",
    "our MP",
    "the new chief executive",
    "the health board",
    "the opposition",
    "the regulator",
]

# (template id, category, text); {place}, {n}, {year}, {who} are filled in turn.
TEMPLATES = [
    # Reporting violence, crime, war and disaster, as readers retell or discuss the news.
    ("nr01", "reporting", "So {n} people were shot dead in {place} and this is page six news?"),
    ("nr02", "reporting", "A soldier was killed by a roadside bomb outside {place} on Sunday."),
    ("nr03", "reporting", "The earthquake near {place} killed {n} and left thousands homeless."),
    ("nr04", "reporting", "My cousin survived the shooting in {place}; two of her friends died."),
    ("nr05", "reporting", "The suspect stabbed a guard in {place} and fled, police said."),
    ("nr06", "reporting", "Militias executed {n} prisoners near {place}, the UN report says."),
    ("nr07", "reporting", "The massacre in {place} in {year} is still not taught in schools."),
    ("nr08", "reporting", "Airstrikes on {place} have killed {n} civilians this week alone."),
    ("nr09", "reporting", "A man was murdered outside a pub in {place} last night."),
    ("nr10", "reporting", "The fire in {place} burned {n} homes to the ground."),
    ("nr11", "reporting", "Gunmen opened fire at a wedding in {place}, wounding {n} guests."),
    ("nr12", "reporting", "The cholera outbreak in {place} has now claimed {n} lives."),
    ("nr13", "reporting", "Both drivers died at the scene of the crash near {place}."),
    ("nr14", "reporting", "The coroner ruled that he was strangled in his flat in {place}."),
    (
        "nr15",
        "reporting",
        "Thousands were slaughtered in {place} in {year} while the world watched.",
    ),
    ("nr16", "reporting", "The regime gassed its own people in {place}, inspectors confirmed."),
    ("nr17", "reporting", "The hostages in {place} were beheaded, their families were told."),
    ("nr18", "reporting", "A police officer shot an unarmed teenager in {place}."),
    ("nr19", "reporting", "Famine in {place} is killing children faster than aid can arrive."),
    ("nr20", "reporting", "The gang beat him unconscious in {place} and took his phone."),
    ("nr21", "reporting", "The siege of {place} starved {n} people to death in {year}."),
    ("nr22", "reporting", "He was hanged in {year} for a murder he did not commit."),
    ("nr23", "reporting", "The drone strike in {place} wiped out a whole family of {n}."),
    ("nr24", "reporting", "Rioters in {place} torched cars and attacked firefighters."),
    ("nr25", "reporting", "Doctors in {place} treated {n} people with gunshot wounds overnight."),
    ("nr26", "reporting", "The genocide in {place} killed {n} people in a hundred days."),
    ("nr27", "reporting", "Sad to read the man stabbed in {place} bled to death waiting for help."),
    ("nr28", "reporting", "Terrorists bombed the station in {place} during rush hour."),
    ("nr29", "reporting", "Police killed a man armed with a knife in {place} on Tuesday."),
    ("nr30", "reporting", "The bomb killed {n} people queueing for bread in {place}."),
    ("nr31", "reporting", "An avalanche killed {n} climbers above {place} this morning."),
    ("nr32", "reporting", "Soldiers shot {n} demonstrators in {place}, witnesses told reporters."),
    ("nr33", "reporting", "Militants killed {n} farmers near {place}, a rights group says."),
    ("nr34", "reporting", "The virus wiped out half the cattle in {place} last spring."),
    # Quoting or condemning what someone said: the hateful words are named in order to
    # report or reject them.
    ("nq01", "quoting", "The MP apologised for describing asylum seekers in {place} as 'a swarm'."),
    ("nq02", "quoting", "Posting 'kill them all' under a news story got him a suspended sentence."),
    ("nq03", "quoting", "When a minister calls people 'infested', we should all be worried."),
    ("nq04", "quoting", "The prosecutor read the messages aloud: 'you will pay for this'."),
    (
        "nq05",
        "quoting",
        "Radio in {place} in {year} called its victims 'cockroaches' before the killing.",
    ),
    ("nq06", "quoting", "Words like 'exterminate' have no place in a debate about migration."),
    ("nq07", "quoting", "Her attacker had told her 'I will find you', the court in {place} heard."),
    ("nq08", "quoting", "The candidate's 'they are not human' remark should end his campaign."),
    ("nq09", "quoting", "Banners in {place} read 'death to traitors'; the police did nothing."),
    ("nq10", "quoting", "He said the protesters 'deserve a bullet', and his party suspended him."),
    ("nq11", "quoting", "Calling refugees 'vermin' is dehumanising and the paper should say so."),
    (
        "nq12",
        "quoting",
        "The tweet said 'string them up', and {n} people shared it before it went.",
    ),
    ("nq13", "quoting", "The word 'parasites' in that speech was chosen on purpose, sadly."),
    ("nq14", "quoting", "A judge in {place} ruled that 'go back and die' was a hate crime."),
    ("nq15", "quoting", "Propaganda in {year} called them 'rats', and we know what came next."),
    ("nq16", "quoting", "I reported the comment that said 'burn them out' and it is still up."),
    ("nq17", "quoting", "Shouting 'shoot them' at a rally is incitement, and {n} people heard it."),
    ("nq18", "quoting", "The court fined him for writing that migrants 'should be drowned'."),
    ("nq19", "quoting", "A councillor in {place} resigned after calling travellers 'animals'."),
    ("nq20", "quoting", "Graffiti reading 'gas them' appeared on a synagogue in {place}."),
    ("nq21", "quoting", "'Hang the traitors' was trending, which says a lot about this site."),
    (
        "nq22",
        "quoting",
        "The leaflet urged readers to 'wipe them out'; its printer went to prison.",
    ),
    ("nq23", "quoting", "Every genocide starts with calling neighbours 'vermin' or 'lice'."),
    ("nq24", "quoting", "Quoting 'they should die' back at him does not make it any less vile."),
    # Idioms and figures of speech that borrow violent words.
    ("ni01", "idiom", "{Who} is going to kill the bus route if nobody objects."),
    ("ni02", "idiom", "The orchestra killed it at the festival in {place}."),
    ("ni03", "idiom", "I would kill for a decent train service in {place}."),
    ("ni04", "idiom", "{Who} shot down every idea the residents put forward."),
    ("ni05", "idiom", "That budget will wipe out the savings of {n} pensioners."),
    ("ni06", "idiom", "{Who} took a real beating in the polls this week."),
    ("ni07", "idiom", "The comedian died on stage in {place}, by all accounts."),
    ("ni08", "idiom", "Rising rents are slowly killing the high street in {place}."),
    ("ni09", "idiom", "The visitors were massacred five nil in {place}, a dreadful night."),
    ("ni10", "idiom", "Honestly the queue at the clinic in {place} is murder on a Monday."),
    ("ni11", "idiom", "{Who} needs to bite the bullet and fund the schools."),
    ("ni12", "idiom", "The heat in {place} this summer has been absolutely killing us."),
    ("ni13", "idiom", "That closing speech blew the rest of the debate out of the water."),
    ("ni14", "idiom", "The reform would gut local newspapers like this one."),
    ("ni15", "idiom", "A late goal in {place} was the final nail in the coffin for the manager."),
    ("ni16", "idiom", "The storm knocked out power to {n} homes around {place}."),
    ("ni17", "idiom", "We are dying for some good news from {place} for once."),
    ("ni18", "idiom", "The start-up wants to disrupt and destroy the taxi trade in {place}."),
    ("ni19", "idiom", "{Who} has declared war on potholes, about time."),
    ("ni20", "idiom", "The pest controllers had to exterminate wasps at the school in {place}."),
    ("ni21", "idiom", "The new bypass would slaughter the traffic problem in {place}."),
    ("ni22", "idiom", "{Who} got hammered at the election, and rightly so."),
    ("ni23", "idiom", "The drought could wipe out this year's harvest in {place}."),
    ("ni24", "idiom", "That one statistic torpedoes the whole argument."),
    ("ni25", "idiom", "Cuts like these will strangle the arts in {place}."),
    ("ni26", "idiom", "Our local bakery in {place} absolutely smashed the competition."),
    ("ni27", "idiom", "Inflation is eating people alive, and {who} shrugs."),
    ("ni28", "idiom", "The deadline for comments on the plan for {place} is Friday."),
    ("ni29", "idiom", "That interview was a car crash for {who}."),
    ("ni30", "idiom", "Shoot me a message if you want to join the clean-up in {place}."),
    ("ni31", "idiom", "Crime in {place} was the elephant in the room at the hustings."),
    ("ni32", "idiom", "The plan to scrap free parking is dead in the water."),
    ("ni33", "idiom", "Backbenchers want to kill the bill before it reaches a vote."),
    ("ni34", "idiom", "Automation will kill thousands of warehouse jobs in {place}."),
    ("ni35", "idiom", "{Who} killed the deal at the last minute."),
    ("ni36", "idiom", "One more rate rise will kill the housing market stone dead."),
    ("ni37", "idiom", "Killing off the night buses would strand shift workers in {place}."),
    ("ni38", "idiom", "The floods wiped out the road between {place} and the airport."),
    ("ni39", "idiom", "A bad winter wiped out the profits of every farm in the valley."),
    ("ni40", "idiom", "The scandal has wiped out whatever trust voters had in {who}."),
    ("ni41", "idiom", "Online shopping is wiping out the independent shops one by one."),
    ("ni42", "idiom", "The singer died a death at the awards, poor thing."),
    ("ni43", "idiom", "I am dying of curiosity about what the inquiry in {place} will find."),
    ("ni44", "idiom", "Some habits die hard at {who}, it seems."),
    ("ni45", "idiom", "These ageing buses deserve to be scrapped and replaced."),
    ("ni46", "idiom", "Honestly {who} deserves a medal for fixing the library."),
    ("ni47", "idiom", "Critics tore the report to shreds within hours."),
    ("ni48", "idiom", "The striker is on fire this season, {n} goals already."),
    ("ni49", "idiom", "That policy would murder the tourist trade in {place}."),
    ("ni50", "idiom", "Our school in {place} smashed its fundraising target."),
    ("ni51", "idiom", "The price of a pint in {place} is daylight robbery."),
    ("ni52", "idiom", "The home side destroyed the visitors in the second half."),
    ("ni53", "idiom", "Landlords are bleeding tenants dry in {place}."),
    ("ni54", "idiom", "{Who} is flogging a dead horse with this stadium plan."),
    ("ni55", "idiom", "The traffic on the ring road is enough to drive anyone mad."),
    ("ni56", "idiom", "The film was a hit in {place} and the critics loved it to death."),
]

# Each template is filled this many times (or fewer, when its slots allow fewer distinct rows).
FILLS = 8


def fill(text: str, n: int) -> str:
    who = SUBJECTS[n % len(SUBJECTS)]
    return text.format(
        place=PLACES[(n * 5) % len(PLACES)],
        n=NUMBERS[(n * 3) % len(NUMBERS)],
        year=YEARS[n % len(YEARS)],
        who=who,
        Who=who[0].upper() + who[1:],
    )


def rows() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for template, category, text in TEMPLATES:
        for n in range(FILLS):
            filled = fill(text, n)
            if filled in seen:
                continue
            seen.add(filled)
            out.append(
                {
                    "id": "nr-" + hashlib.sha256(filled.encode()).hexdigest()[:12],
                    "text": filled,
                    "category": category,
                    "template": template,
                    "toxic": "0",
                }
            )
    return out


def main() -> None:
    written = rows()
    OUT.parent.mkdir(exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(written[0]))
        writer.writeheader()
        writer.writerows(written)
    print(f"wrote {len(written)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
