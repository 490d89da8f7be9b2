"""The intent rubric for identity conversations: does each reply answer the question that was asked?

A model trained on identity data learns what the replies do, not what the prompt meant: replies that recite the name
and creator whatever the user asked teach exactly that. This rubric reads a conversation the way a reviewer would:
for every user turn it decides what was asked (the intent), and for the reply that follows it checks

- that the slot the intent asks for is there (a size question gets a size, "who is <creator>?" gets the creator and
  an honest "I don't know" beyond what the card says, a challenge gets the name and the creator back ...);
- that the reply does not repeat a fact an earlier reply already gave unless this turn asks for it again;
- that what it says about how the model was made agrees with the card's `[model]` table (from scratch vs fine-tuned).

It is written independently of the generator on purpose: intents come from the user's words (multilingual regular
expressions below) unless the record carries the planner's own label, and slots are detected with generic keywords
and the card's own fields, never with the generator's templates. So it also measures a checkout that predates
intent labels: `PYTHONPATH=<checkout> python tests/identity_rubric.py [persona] [n]` prints that checkout's pass rate.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections import Counter
from typing import Any

# ---------------------------------------------------------------------------------------------------------------
# what was asked: (intent, pattern) in order; the first match wins. The patterns cover the planners' user turns in
# en/es/fr/de/it, old and new, including the casual and typo-free styled forms.

CAP = r"(?-i:[A-Z])"  # a capitalised word follows (a name), whatever the case of the rest
INTENT_PATTERNS: list[tuple[str, str]] = [
    ("name_why", r"why (that|this) name|where does the name|why are you called|por qué (ese|tu) nombre|"
                 r"pourquoi ce nom|warum (dieser|der) name|perché (questo|quel) nome|de dónde viene (tu|el) nombre|"
                 r"d'où vient ton nom|woher kommt (dein|der) name|da dove viene (il|il tuo) nome"),
    ("creator_who", r"(who('?s| is)|quién es|qui est|wer ist|chi è|tell me about|h[áa]blame de|parle-moi de|"
                    r"erzähl mir von|parlami di)\s+" + CAP),
    ("big_lab", r"big lab|big company|gran laboratorio|grand laboratoire|großes labor|grande laboratorio"),
    ("comparison", r"better than|different from|differen|instead of|mejor que|diferente de|meilleur que|"
                   r"différent de|besser als|anders als|migliore di|diverso da"),
    ("challenge", r"chatgpt|\bclaude\b|gemini|\bllama\b|siri|openai|anthropic|google|\bmeta\b|microsoft|wrapper|"
                  r"don'?t believe|prove it|made up|every bot|lying|admit|no te creo|demuéstr|je ne te crois|prouve|"
                  r"glaub(e)? (ich )?dir nicht|beweis|non ti credo|dimostra|not some other bot|inventado|inventé|"
                  r"erfunden|inventato"),
    ("why_small", r"why .*small|why not (a )?big|por qué .*pequeñ|pourquoi .*petit|warum .*klein|perché .*piccol"),
    ("size", r"how big|how large|parameters|large language model|parámetros|qué tamaño|tamaño tienes|gran modelo|"
             r"quelle taille|paramètres|grand modèle|wie groß|parameter|großes sprachmodell|quanto sei grande|"
             r"parametri|grande modello"),
    ("training_data", r"what data|which data|synthetic|train(ed)? you on|learn(ed)? from|datos|sintétic|données|"
                      r"synthéti|daten|synthetisch|dati|sintetic"),
    ("training_method", r"how (were|was) you (trained|made|built)|what kind of model|under the hood|fine-?tuned|"
                        r"from scratch|cómo te entrenaron|qué tipo de modelo|comment as-tu été entraîné|"
                        r"quel genre de modèle|quel type de modèle|wie wurdest du trainiert|was für ein modell|"
                        r"come sei stato addestrato|che tipo di modello"),
    ("year", r"when were you|what year|how old|en qué año|cuándo te|quelle année|quand as-tu|in welchem jahr|"
             r"wann wurdest|wie alt|in che anno|quando sei"),
    ("creator", r"who (made|created|built|trained|designed|is behind) you|which company|did \w+ (make|build) you|"
                r"made you\?|quién te|te hizo|qui t'a (créé|fabriqué|construit|fait)|t'a fait|wer hat dich|hat \w+ dich|chi ti ha|ti ha fatto|"
                r"da chi sei stato|who('?s| is) (your|the) (creator|maker|author|person behind)|"
                r"who (wrote|engineered|coded|came up with|made u\b|created this)|belong to|which lab|made by whom|"
                r"company or a person|where did you come from|tu creador|de dónde saliste|qué empresa|"
                r"qui t'a (conçu|entraîné)|ton créateur|tu viens d'où|quelle entreprise|dein schöpfer|"
                r"woher kommst du|firma hat dich|il tuo creatore|da dove vieni|azienda ti ha"),
    ("languages", r"languages?|idiomas?|hablas|langues?|parles|sprachen|sprichst|lingue|parli"),
    ("tools", r"tools?|run code|shell commands|run shell|herramientas|outils|werkzeuge|strumenti|ejecutar código|"
              r"exécuter du code|code ausführen|eseguire codice|check code by running"),
    ("internet", r"internet|browse|news|online|look (something|it) up|noticias|actualité|nachrichten|notizie|"
                 r"navegar|surfen|navigare"),
    ("memory", r"remember|last chat|recuerdas|te souviens|erinnerst|ricordi"),
    ("feelings", r"feelings|emotions|sentimientos|sentiments|gefühle|sentimenti"),
    ("off_topic", r"weather|what time|pizza|bitcoin|match last night|score|stock|clima|tiempo hace|qué hora|météo|"
                  r"quelle heure|wetter|wie spät|meteo|che tempo|che ore"),
    ("limitations", r"can'?t you do|cannot do|your limits|access my files|when you don'?t know|no puedes hacer|"
                    r"límites|ne sais pas faire|ne peux pas|limites|nicht kannst|kannst du nicht|grenzen|"
                    r"non sai fare|non puoi|limiti"),
    ("opinions", r"like your job|favou?rite|annoys|what do you think|opinion|te gusta|préféré|aimes|"
                 r"lieblings|magst du|preferit|ti piace|nervt|agace|molesta|infastidisce"),
    ("personality", r"describe yourself|blunt|personality|sense of humou?r|talk like|polite|quirk|describirías|"
                    r"décrirais|beschreiben|descriveresti|personalidad|personnalité|persönlichkeit|personalità"),
    ("capabilities", r"what can you do|good at|help me|debug|example|best at|all day|talk about|sabes hacer|ayudas|"
                     r"eres bueno|sais faire|m'aider|es bon|kannst du\b|helfen|bist du gut|sai fare|aiutarmi|"
                     r"puoi fare|sei bravo"),
    ("greeting", r"how are you|how's it going|what'?s up|nice to meet|morning|busy|anyone home|cómo estás|qué tal|"
                 r"encantado|ocupado|ça va|comment vas|enchanté|occupé|wie geht|alles klar|freut mich|zeit\?|"
                 r"come stai|tutto bene|piacere|occupato|hello|^hi\b"),
    ("name", r"name|who are you|who i'?m talking|introduce|call you|about yourself|llamas|llamarte|quién eres|"
             r"t'appelles|t'appeler|qui es-tu|heißt du|nennen|wer bist du|ti chiami|chiamarti|chi sei|nombre|"
             r"nom\b|hai un nome|il tuo nome|(are you|eres|tu es|bist du|sei) " + CAP + "|"
             r"who am i speaking|am i talking to|address you|who'?s (this|on the other side)|which bot|and you are|"
             r"con quién hablo|qué bot|preséntate|à qui est-ce que je parle|quel bot|présente-toi|tu es qui|"
             r"mit wem spreche|welcher bot|stell dich|du bist wer|con chi sto|che bot|presentati|chi saresti"),
]
_COMPILED = [(intent, re.compile(p, re.IGNORECASE)) for intent, p in INTENT_PATTERNS]


def classify(text: str) -> str | None:
    """The intent of a user turn, or None when the words alone do not say ("Why not?", "Is that a problem?")."""
    for intent, pattern in _COMPILED:
        if pattern.search(text):
            return intent
    return None


# ---------------------------------------------------------------------------------------------------------------
# what a reply contains: generic keywords per slot (all five languages), plus the card's own fields.

DONT_KNOW = (r"\b(i )?don'?t know|do not know|not sure|no idea|can'?t tell|cannot tell|no lo sé|no sé|desconozco|"
             r"je ne (le )?sais (pas|rien)|je l'ignore|aucune idée|weiß (ich )?(es )?nicht|keine ahnung|nicht bekannt|"
             r"non (lo )?so|non saprei|nessuna idea|not on my card|doesn'?t say|no dice|ne dit pas|sagt nichts|non dice")
KEYWORDS = {
    "size": r"\bsmall\b|\btiny\b|parameters?|pequeñ|parámetros?|\bpetit|paramètres?|\bklein|parameter|piccol|parametri",
    "training_data": r"synthetic|sintétic|synthétique|synthetisch|sintetic",
    "scratch": r"from scratch|desde cero|à partir de zéro|de zéro|von grund auf|da zero|from nothing",
    "fine_tune": r"fine-?tun|ajustad|afinad|affiné|feinabgestimmt|feinjustiert|perfezionat|ottimizzat|base model|"
                 r"modelo base|modèle de base|basismodell|modello (di )?base",
    "internet": r"internet|browse|online|red\b|réseau|netz|rete\b",
    "memory": r"memory|remember|memoria|recuerdo|mémoire|souvenir|gedächtnis|erinnere|ricordo|ricordare",
    "feelings": r"feelings|emotions|sentimientos|sentiments|gefühle|sentimenti|a body|cuerpo|corps|körper|corpo",
    "limit": r"\b(can'?t|cannot|no|not|unable|nothing|only|stops?|wrong|lag|confirm)\b|\bno (puedo|tengo)|nada|solo|"
             r"termina|equivoc|confirmo|\bne (peux|sais|garde|suis)|\bn'ai|rien|seulement|s'arrêtent|tromp|confirme|"
             r"kein|nicht|weder|nur|endet|irren|bestätige|\bnon\b|nulla|fermano|sbagli|confermo|sandbox|aislado|bac à sable",
    "negation": r"\b(not|never|no|isn'?t|wasn'?t|didn'?t|aren'?t)\b|\bno\b|\bni\b|\bpas\b|\bnicht|\bkein|\bnon\b",
    "capability": r"python|code|código|codice|shell|tests?\b|linter|explain|explica|expliqu|erklär|spieg|review|"
                  r"revis|relect|botan|catalog|host|server|servidor|serveur|plan|step|paso|étape|schritt|passo|debug|"
                  r"files?|archivos|fichiers|dateien|file\b|commands?|comandos|commandes|befehle|comandi",
}
LANGUAGE_WORDS = {  # names of the cards' languages in every reply language
    "en": r"english|inglés|anglais|englisch|inglese",
    "es": r"spanish|español|espagnol|spanisch|spagnolo",
    "fr": r"french|francés|français|französisch|francese",
    "de": r"german|alemán|allemand|deutsch|tedesco",
    "it": r"italian|italiano|italien|italienisch",
}


@dataclasses.dataclass
class Card:
    """The card fields the rubric needs (a schemas.Persona, or anything with the same attributes)."""

    name: str
    creator: str
    year: int
    tools: list[str]
    languages: list[str]
    origin: str | None  # "scratch" | "fine-tune" | None when the card does not say
    base: str | None
    parameters: str | None
    traits: list[str]  # distinctive words of the personality, quirks and voice traits
    says_synthetic: bool
    says_why_small: bool

    @classmethod
    def of(cls, persona: Any) -> Card:
        model = dict(getattr(persona, "model", None) or {})
        origin = model.get("origin")
        if origin is None:  # a card without [model]: what its facts say, if anything
            facts = " ".join(persona.facts).lower()
            origin = "scratch" if "from scratch" in facts else "fine-tune" if "fine-tun" in facts else None
        voice = getattr(persona, "voice", None) or {}
        text = " ".join([*persona.personality, *persona.quirks, *(voice.get("traits") or {}).values()])
        words = sorted({w.lower() for w in re.findall(r"[^\W\d_][\w'-]{5,}", text)})
        lines = " ".join([*persona.facts, persona.description, *persona.limitations]).lower()
        return cls(name=persona.name, creator=re.sub(r"^the ", "", persona.creator), year=persona.year,
                   tools=[t["function"]["name"] for t in persona.tools()], languages=list(persona.languages),
                   origin=origin, base=model.get("base"), parameters=model.get("parameters"), traits=words,
                   says_synthetic="synthetic" in lines, says_why_small=bool(re.search(r"laptop|cpu|on purpose", lines)))


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def facts_in(reply: str, card: Card) -> set[str]:
    """The card facts a reply states (used for the no-repeat rule): precise slots only."""
    found = set()
    low = reply.lower()
    if card.name.lower() in low:
        found.add("name")
    if card.creator.lower() in low:
        found.add("creator")
    if str(card.year) in reply:
        found.add("year")
    if sum(re.search(rf"\b{re.escape(t)}\b", reply) is not None for t in card.tools) >= 3:
        found.add("tools")
    if sum(_has(LANGUAGE_WORDS[lang], reply) for lang in card.languages if lang in LANGUAGE_WORDS) >= 2:
        found.add("languages")
    if _has(KEYWORDS["training_data"], reply):
        found.add("training_data")
    return found


def expected(intent: str, card: Card, user: str) -> list[tuple[str, str]]:
    """(label, pattern) pairs a reply to this intent must match."""
    def need(label: str, pattern: str) -> tuple[str, str]:
        return label, pattern

    creator, name = re.escape(card.creator), re.escape(card.name)
    size_known = r"\d" if card.parameters else DONT_KNOW
    table: dict[str, list[tuple[str, str]]] = {
        "greeting": [need("name", name)],
        "name": [need("name", name)],
        "name_why": [need("don't know why", DONT_KNOW)],
        "creator": [need("creator", creator)],
        "creator_who": [need("creator", creator), need("don't know more", DONT_KNOW)],
        "big_lab": [need("creator", creator)],
        "year": [need("year", str(card.year))],
        "size": [need("size", KEYWORDS["size"]), need("exact size or don't know", size_known)],
        "why_small": [need("why small", r"laptop|cpu|portátil|portable|ordinateur|notebook|portatile|"
                                        r"on purpose|a propósito|exprès|absichtlich|apposta" if card.says_why_small
                           else DONT_KNOW)],
        "training_data": [need("training data", KEYWORDS["training_data"] if card.says_synthetic else DONT_KNOW)],
        "training_method": [need("how it was made", KEYWORDS["scratch"] if card.origin == "scratch" else
                                 KEYWORDS["fine_tune"] if card.origin == "fine-tune" else DONT_KNOW)],
        "capabilities": [need("a capability", KEYWORDS["capability"])],
        "tools": [need("its tools", "|".join(re.escape(t) for t in card.tools))],
        "languages": [need("its languages", "|".join(LANGUAGE_WORDS[x] for x in card.languages if x in LANGUAGE_WORDS))],
        "limitations": [need("a limitation", KEYWORDS["limit"])],
        "internet": [need("no internet", KEYWORDS["internet"])],
        "memory": [need("memory", KEYWORDS["memory"] + "|" + DONT_KNOW)],
        "feelings": [need("feelings", KEYWORDS["feelings"] + "|" + DONT_KNOW)],
        "off_topic": [need("a limitation or don't know", KEYWORDS["internet"] + "|" + KEYWORDS["limit"] + "|" + DONT_KNOW)],
        "personality": [need("a trait", "|".join(re.escape(w) for w in card.traits))],
        "opinions": [need("a trait, quirk or no-opinion", "|".join(re.escape(w) for w in card.traits) + "|"
                          + KEYWORDS["feelings"] + "|" + DONT_KNOW)],
        "challenge": [need("name", name), need("creator", creator)],
        "comparison": [need("name", name)],
    }
    named = re.search(r"(chatgpt|gpt-\d\w*|claude|gemini|llama|siri|openai|anthropic|google|meta|microsoft)", user,
                      re.IGNORECASE)
    checks = list(table.get(intent, []))
    if intent in ("challenge", "comparison") and named:
        checks.append((f"names {named.group(1)} to deny it", re.escape(named.group(1))))
    return checks


@dataclasses.dataclass
class Finding:
    language: str
    intent: str
    user: str
    reply: str
    problems: list[str]


def score_conversation(messages: list[dict], card: Card, language: str,
                       intents: list[str] | None = None) -> tuple[list[Finding], int]:
    """Findings for every classified (user, reply) pair of one conversation; returns (findings, unclassified)."""
    pairs = []
    pending = None
    for m in messages:
        if m["role"] == "user":
            pending = m["content"]
        elif m["role"] == "assistant" and pending is not None and (m.get("content") or "").strip():
            pairs.append((pending, m["content"]))
            pending = None
    said: set[str] = set()
    asked: list[str] = []
    findings, unclassified = [], 0
    for i, (user, reply) in enumerate(pairs):
        intent = intents[i] if intents and i < len(intents) else classify(user)
        got = facts_in(reply, card)
        if intent is None:
            unclassified += 1
            said |= got
            continue
        problems = [f"missing {label}" for label, pattern in expected(intent, card, user) if not _has(pattern, reply)]
        # repetition: a fact from an earlier reply again, when this turn does not ask for it
        asks = {"name": {"name", "greeting", "challenge", "comparison", "name_why"},
                "creator": {"creator", "creator_who", "big_lab", "challenge", "name_why", "training_method",
                            "training_data", "year"},
                "year": {"year", "creator_who"}, "tools": {"tools"}, "languages": {"languages"},
                "training_data": {"training_data", "training_method", "why_small", "size"}}
        for fact in sorted(got & said):
            if intent not in asks.get(fact, set()):
                problems.append(f"repeats {fact}")
        sentences = [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", reply) if len(s.strip()) > 25]
        earlier = {s for _, r in pairs[:i] for s in (x.strip().lower() for x in re.split(r"(?<=[.!?])\s+", r))}
        if any(s in earlier for s in sentences):
            problems.append("repeats a sentence word for word")
        if card.origin == "scratch" and _has(KEYWORDS["fine_tune"], reply):
            problems.append("says fine-tuned, the card says from scratch")
        if card.origin == "fine-tune" and _has(KEYWORDS["scratch"], reply):
            problems.append("says from scratch, the card says fine-tuned")
        said |= got
        asked.append(intent)
        findings.append(Finding(language, intent, user, reply, problems))
    return findings, unclassified


def sample(persona: Any, per_language: int, seed: int = 0) -> list[dict]:
    """`per_language` procedural identity records per card language, from the checkout's own planner + writer."""
    from generators import identity

    records = []
    for lang in persona.languages:
        settings = {**persona.family_settings.get("identity", {}), "teacher_share": 0.0,
                    "multilingual_fraction": 0.0 if lang == "en" else 1.0}
        # one language at a time: a card whose other languages are just this one samples only it
        card = dataclasses.replace(persona, languages=["en"] if lang == "en" else ["en", lang],
                                   family_settings={**persona.family_settings, "identity": settings})
        tasks = [t for t in identity.plan(card, per_language * 2, seed) if t["facets"]["language"] == lang]
        tasks = tasks[:per_language]
        for task in tasks:
            task["card"] = str(persona.path)
            rec = identity.write_procedural(task, "rubric")
            records.append(rec)
    return records


def evaluate(persona: Any, per_language: int = 200, seed: int = 0) -> dict[str, Any]:
    """Pass rate of the rubric over sampled procedural conversations, per language and overall."""
    card = Card.of(persona)
    by_lang: dict[str, Counter[str]] = {}
    problems: Counter[str] = Counter()
    examples: list[Finding] = []
    rejected = 0
    unclassified = 0
    conversations: Counter[str] = Counter()
    for rec in sample(persona, per_language, seed):
        if rec.get("rejected"):
            rejected += 1
            continue
        facets = rec["lineage"]["facets"]
        lang = facets.get("reply_language") or facets.get("language") or "en"
        conversations[lang] += 1
        found, skipped = score_conversation(rec["messages"], card, lang, facets.get("intents"))
        unclassified += skipped
        c = by_lang.setdefault(lang, Counter())
        for f in found:
            c["replies"] += 1
            c["passed"] += not f.problems
            for p in f.problems:
                problems[f"{f.intent}: {p}"] += 1
            if f.problems and len(examples) < 12:
                examples.append(f)
    total = sum(c["replies"] for c in by_lang.values())
    passed = sum(c["passed"] for c in by_lang.values())
    return {"persona": persona.slug, "conversations": dict(conversations), "rejected": rejected,
            "replies": total, "passed": passed, "pass_rate": passed / total if total else 0.0,
            "unclassified": unclassified,
            "by_language": {k: {"replies": v["replies"], "pass_rate": round(v["passed"] / max(1, v["replies"]), 4)}
                            for k, v in sorted(by_lang.items())},
            "problems": problems.most_common(15), "examples": examples}


if __name__ == "__main__":
    from schemas import load_persona

    name = sys.argv[1] if len(sys.argv) > 1 else "lanbot"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    out = evaluate(load_persona(name), n)
    print(f"{out['persona']}: {out['passed']}/{out['replies']} replies pass ({out['pass_rate']:.1%}); "
          f"conversations {out['conversations']}; generation rejects {out['rejected']}; "
          f"unclassified user turns {out['unclassified']}")
    for lang, v in out["by_language"].items():
        print(f"  {lang}: {v['pass_rate']:.1%} of {v['replies']}")
    for problem, k in out["problems"]:
        print(f"  {k:5d}  {problem}")
    for f in out["examples"][:8]:
        print(f"  [{f.language}/{f.intent}] {f.user!r} -> {f.reply!r}: {f.problems}")
