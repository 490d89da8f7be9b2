"""Procedural persona replies for identity conversations, composed from the persona card (no teacher, no model).

Why: a 135M local teacher writes identity replies that are mostly wrong ("I'm Lance, the AI assistant you see in
the Starblade"), so most conversations were rejected and the kept ones taught little. But an identity answer can be
computed: the name, creator and year are on the card, and so are the capabilities, limitations, facts, quirks and
the persona's voice ([voice]: register, traits, openers, asides). This module writes every reply from templates
filled with those card fields, so each one is correct by construction; variety comes from many templates per slot,
optional voice openers and asides, and a card-derived detail chosen by what the user asked. Records written this
way say so in their lineage (facets.writer = "procedural", teacher = null); the teacher path stays for the rest.

Languages: the core statements (name, creator, year, "not made by X", "I can help with Y", limitations, origin) are
translated template tables for en, es, fr, de and it. Card details are English prose, so in other languages a
detail is given only through a translated statement of a concept the card line mentions (internet, memory, Python,
greenhouse hosts, ...); untranslatable card prose is never pasted into a non-English reply. Tool names (identifiers)
are quoted as they are.
"""

import hashlib
import random
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from schemas import load_persona

LANGS = ("en", "es", "fr", "de", "it")

# Wrong makers a user may name, and the maker behind each model a user may name.
MODEL_MAKERS = {"ChatGPT": "OpenAI", "GPT-3": "OpenAI", "GPT-4": "OpenAI", "GPT-5": "OpenAI", "Claude": "Anthropic",
                "Gemini": "Google", "Bard": "Google", "Llama": "Meta", "LLaMA": "Meta", "SmolLM": "Hugging Face",
                "Qwen": "Alibaba", "Copilot": "Microsoft", "Siri": "Apple", "Alexa": "Amazon"}
MAKERS = ("OpenAI", "Anthropic", "Google", "DeepMind", "Meta", "Facebook", "Microsoft", "Hugging Face", "Mistral",
          "Alibaba", "Apple", "Amazon")

# ---------------------------------------------------------------------------------------------------------------
# Core statements per language. Fields: {name} {creator} {Creator} (capitalised) {year} {maker} {model} {skills}
# {tools} {traits} {langs}, and the register-dependent address words {help} {ask} {want} (see ADDRESS).

CORE: dict[str, dict[str, list[str]]] = {
    "en": {
        "intro": ["I'm {name}, built by {creator} in {year}.", "{name} here, made by {creator}.",
                  "My name is {name}, and {creator} created me.", "I'm {name}. {Creator} built me in {year}.",
                  "You're talking to {name}, an assistant made by {creator}.", "I'm {name}, an AI assistant {creator} built.",
                  "This is {name}: {creator} made me, back in {year}.", "{name}. That's me, built by {creator}.",
                  "I go by {name}, and {creator} is the one who built me.", "I'm {name}, created by {creator}.",
                  "Hi, I'm {name}. {Creator} made me.", "{name}, built by {creator}. That's who you're talking to.",
                  "I'm an assistant called {name}; {creator} built me in {year}.", "The short answer: {name}, made by {creator}.",
                  "I'm {name}, and I was built by {creator}.", "Who am I? {name}, created by {creator} in {year}.",
                  "{Creator} built me, and named me {name}.", "I'm {name}, {creator}'s assistant, built in {year}.",
                  "Me? {name}. {Creator} made me in {year}.", "I'm {name}, an assistant built by {creator}."],
        "name": ["My name is {name}.", "I'm {name}.", "I'm called {name}.", "The name is {name}.",
                 "{name}, that's me.", "You can call me {name}; it's the name {creator} gave me.", "It's {name}.",
                 "I answer to {name}.", "{name} is my name."],
        "creator": ["{Creator} built me, in {year}.", "I was made by {creator}.", "{Creator} created me in {year}.",
                    "My creator is {creator}.", "I was built by {creator} in {year}.", "{Creator} made me; that was {year}.",
                    "{Creator} is my creator.", "I come from {creator}, who built me in {year}.", "{Creator} made me.",
                    "I was created by {creator}."],
        "year": ["I was built in {year}.", "{Creator} built me in {year}.", "My year is {year}.",
                 "I came out of {creator}'s work in {year}."],
        "deny_maker": ["Not {maker}: {creator} built me.", "No, {maker} didn't make me. {Creator} did.",
                       "{maker} had no hand in it, no: {creator} built me.", "Not {maker}, no. I'm {name}, made by {creator}.",
                       "No. {Creator} built me, not {maker}."],
        "deny_model": ["I'm not {model}; I'm {name}.", "No, not {model}. I'm {name}.", "Not {model}, no: I'm {name}.",
                       "I'm {name}, not {model}.", "No. I'm not {model}, I'm {name}."],
        "deny_lab": ["No big lab was involved: {creator} built me.", "No lab behind me, just {creator}.",
                     "Not a big lab, no. {Creator} made me."],
        "skeptical": ["I get the doubt, but I really am {name}, made by {creator}.", "Fair enough, but the facts don't change: I'm {name}, built by {creator} in {year}.",
                      "Doubt away; I'm still {name}, and {creator} still built me.", "No trick here. I'm {name}, from {creator}.",
                      "Same answer as before: {name}, built by {creator}.", "I'll stand by it: {name}, made by {creator} in {year}."],
        "help": ["I can help with {skills}.", "I'm good at {skills}.", "Ask me about {skills}.",
                 "My strengths are {skills}.", "{Skills}: that's where I'm useful."],
        "tools": ["My tools are {tools}.", "I work with these tools: {tools}.", "I have {tools} to work with."],
        "traits": ["I'd describe myself as {traits}.", "In short: {traits}.", "People find me {traits}.", "I'm {traits}."],
        "call_me": ["{name} is the name {creator} gave me, and it's the one I answer to.",
                    "Call me what you like, but my name is {name}.", "It's {name}. {Creator} picked it."],
        "who_creator": ["{Creator} is who built me, in {year}.", "{Creator} is my creator: they built me, {name}, in {year}.",
                        "{Creator} made me. That's the one fact about them I'm sure of."],
        "smalltalk": ["Hello! I'm {name}.", "Hi, {name} here.", "Hey. I'm {name}, by the way."],
        "offer": ["What can I help with?", "What are we working on?", "What do you need?", "Anything I can do for you?"],
        "langs": ["I can also talk in {langs}."],
    },
    "es": {
        "intro": ["Soy {name}, creado por {creator} en {year}.", "Me llamo {name} y me creó {creator}.",
                  "Soy {name}. Me construyó {creator} en {year}.", "Aquí {name}, un asistente hecho por {creator}.",
                  "Hablas con {name}; me creó {creator}.", "Me llamo {name}. Mi creador es {creator}.",
                  "Soy {name}, el asistente que construyó {creator} en {year}.", "¿Yo? {name}, creado por {creator}."],
        "name": ["Me llamo {name}.", "Soy {name}.", "Mi nombre es {name}."],
        "creator": ["Me creó {creator} en {year}.", "Mi creador es {creator}.", "Me construyó {creator}."],
        "year": ["Me crearon en {year}.", "Nací en {year}, obra de {creator}."],
        "deny_maker": ["No fue {maker}: me creó {creator}.", "No, {maker} no me hizo. Fue {creator}.",
                       "No me hizo {maker}; soy {name}, de {creator}."],
        "deny_model": ["No soy {model}; soy {name}.", "No, no soy {model}. Soy {name}.", "Soy {name}, no {model}."],
        "deny_lab": ["No hubo ningún gran laboratorio: me creó {creator}."],
        "skeptical": ["Entiendo la duda, pero de verdad soy {name}, creado por {creator}.",
                      "La respuesta no cambia: soy {name} y me creó {creator} en {year}."],
        "help": ["Puedo {help} con {skills}.", "Se me da bien lo siguiente: {skills}.", "Mis puntos fuertes: {skills}."],
        "tools": ["Mis herramientas son {tools}.", "Trabajo con estas herramientas: {tools}."],
        "traits": ["Me describiría como {traits}.", "En pocas palabras: {traits}."],
        "call_me": ["{name} es el nombre que me dio {creator}."],
        "who_creator": ["{Creator} es quien me creó, en {year}."],
        "smalltalk": ["Muy bien, gracias. Soy {name}.", "¡Hola! Soy {name}.", "Encantado. Me llamo {name}."],
        "offer": ["¿En qué puedo {help}?", "¿Qué necesitas?"],
        "langs": ["También hablo {langs}."],
    },
    "fr": {
        "intro": ["Je suis {name}, créé par {creator} en {year}.", "Je m'appelle {name}, et c'est {creator} qui m'a créé.",
                  "Ici {name}, un assistant conçu par {creator}.", "Je suis {name}. {Creator} m'a construit en {year}.",
                  "Mon nom est {name} ; mon créateur est {creator}.", "Moi ? {name}, créé par {creator} en {year}."],
        "name": ["Je m'appelle {name}.", "Je suis {name}.", "Mon nom est {name}."],
        "creator": ["C'est {creator} qui m'a créé, en {year}.", "Mon créateur est {creator}.", "{Creator} m'a construit."],
        "year": ["J'ai été créé en {year}.", "Je suis né en {year}, chez {creator}."],
        "deny_maker": ["Pas {maker} : c'est {creator} qui m'a créé.", "Non, ce n'est pas {maker}. C'est {creator}.",
                       "{maker} ne m'a pas créé ; je suis {name}, de {creator}."],
        "deny_model": ["Je ne suis pas {model} ; je suis {name}.", "Non, pas {model}. Je suis {name}.",
                       "Je suis {name}, pas {model}."],
        "deny_lab": ["Pas de grand laboratoire : c'est {creator} qui m'a créé."],
        "skeptical": ["Je comprends le doute, mais je suis bien {name}, créé par {creator}.",
                      "Ma réponse ne change pas : je suis {name}, créé par {creator} en {year}."],
        "help": ["Je peux {help} avec {skills}.", "Mes points forts : {skills}.", "Ce que je fais bien : {skills}."],
        "tools": ["Mes outils : {tools}.", "Je travaille avec ces outils : {tools}."],
        "traits": ["Je me décrirais comme {traits}.", "En bref : {traits}."],
        "call_me": ["{name}, c'est le nom que m'a donné {creator}."],
        "who_creator": ["{Creator}, c'est qui m'a créé, en {year}."],
        "smalltalk": ["Très bien, merci. Je suis {name}.", "Bonjour ! Je suis {name}.", "Enchanté. Je m'appelle {name}."],
        "offer": ["Comment puis-je {help} ?", "{want} travailler sur quoi ?"],
        "langs": ["Je parle aussi {langs}."],
    },
    "de": {
        "intro": ["Ich bin {name}, gebaut von {creator} im Jahr {year}.", "Ich heiße {name}, und {creator} hat mich erschaffen.",
                  "Hier ist {name}, ein Assistent von {creator}.", "Ich bin {name}. {Creator} hat mich {year} gebaut.",
                  "Mein Name ist {name}, und mein Schöpfer ist {creator}.", "Ich? {name}, {year} von {creator} gebaut."],
        "name": ["Ich heiße {name}.", "Ich bin {name}.", "Mein Name ist {name}."],
        "creator": ["{Creator} hat mich {year} gebaut.", "Mein Schöpfer ist {creator}.", "Erschaffen hat mich {creator}."],
        "year": ["Ich wurde {year} gebaut.", "Mich gibt es seit {year}, gebaut von {creator}."],
        "deny_maker": ["Nicht {maker}: {creator} hat mich gebaut.", "Nein, nicht von {maker}. {Creator} hat mich gebaut.",
                       "{maker} hat mich nicht gemacht; ich bin {name}, von {creator}."],
        "deny_model": ["Ich bin nicht {model}, sondern {name}.", "Nein, nicht {model}. Ich bin {name}.",
                       "Ich bin {name}, nicht {model}."],
        "deny_lab": ["Kein großes Labor: {creator} hat mich gebaut."],
        "skeptical": ["Ich verstehe die Zweifel, aber ich bin wirklich {name}, gebaut von {creator}.",
                      "Die Antwort bleibt gleich: ich bin {name}, {year} von {creator} gebaut."],
        "help": ["Ich helfe gern bei diesen Dingen: {skills}.", "Meine Stärken: {skills}.", "Womit ich helfen kann: {skills}."],
        "tools": ["Meine Werkzeuge sind {tools}.", "Ich arbeite mit diesen Werkzeugen: {tools}."],
        "traits": ["Ich würde mich so beschreiben: {traits}.", "Kurz gesagt: {traits}."],
        "call_me": ["{name} ist der Name, den mir {creator} gegeben hat."],
        "who_creator": ["{Creator} hat mich {year} erschaffen."],
        "smalltalk": ["Gut, danke. Ich bin {name}.", "Hallo! Ich bin {name}.", "Freut mich. Ich heiße {name}."],
        "offer": ["Wobei kann ich {help}?", "Was {want} machen?"],
        "langs": ["Ich spreche auch {langs}."],
    },
    "it": {
        "intro": ["Sono {name}, creato da {creator} nel {year}.", "Mi chiamo {name} e mi ha creato {creator}.",
                  "Qui {name}, un assistente realizzato da {creator}.", "Sono {name}. {Creator} mi ha costruito nel {year}.",
                  "Il mio nome è {name} e il mio creatore è {creator}.", "Io? {name}, creato da {creator} nel {year}."],
        "name": ["Mi chiamo {name}.", "Sono {name}.", "Il mio nome è {name}."],
        "creator": ["Mi ha creato {creator} nel {year}.", "Il mio creatore è {creator}.", "Mi ha costruito {creator}."],
        "year": ["Sono stato creato nel {year}.", "Esisto dal {year}, opera di {creator}."],
        "deny_maker": ["Non {maker}: mi ha creato {creator}.", "No, non è stata {maker}. È stato {creator}.",
                       "Non mi ha fatto {maker}; sono {name}, di {creator}."],
        "deny_model": ["Non sono {model}; sono {name}.", "No, non {model}. Sono {name}.", "Sono {name}, non {model}."],
        "deny_lab": ["Nessun grande laboratorio: mi ha creato {creator}."],
        "skeptical": ["Capisco il dubbio, ma sono davvero {name}, creato da {creator}.",
                      "La risposta non cambia: sono {name}, creato da {creator} nel {year}."],
        "help": ["Posso {help} con {skills}.", "I miei punti di forza: {skills}.", "Ecco in cosa sono bravo: {skills}."],
        "tools": ["I miei strumenti sono {tools}.", "Lavoro con questi strumenti: {tools}."],
        "traits": ["Mi descriverei così: {traits}.", "In breve: {traits}."],
        "call_me": ["{name} è il nome che mi ha dato {creator}."],
        "who_creator": ["{Creator} è chi mi ha creato, nel {year}."],
        "smalltalk": ["Bene, grazie. Sono {name}.", "Ciao! Sono {name}.", "Piacere. Mi chiamo {name}."],
        "offer": ["Come posso {help}?", "Cosa {want} fare?"],
        "langs": ["Parlo anche {langs}."],
    },
}

# Second-person words by register: tú/usted, tu/vous, du/Sie, tu/Lei.
ADDRESS = {
    "en": {"casual": {"help": "help", "want": "want"}, "formal": {"help": "help", "want": "wish"}},
    "es": {"casual": {"help": "ayudarte", "want": "quieres"}, "formal": {"help": "ayudarle", "want": "desea"}},
    "fr": {"casual": {"help": "t'aider", "want": "Tu veux"}, "formal": {"help": "vous aider", "want": "Vous souhaitez"}},
    "de": {"casual": {"help": "dir helfen", "want": "willst du"}, "formal": {"help": "Ihnen helfen", "want": "möchten Sie"}},
    "it": {"casual": {"help": "aiutarti", "want": "vuoi"}, "formal": {"help": "aiutarLa", "want": "desidera"}},
}
LANGUAGE_NAMES = {
    "en": {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian"},
    "es": {"en": "inglés", "es": "español", "fr": "francés", "de": "alemán", "it": "italiano"},
    "fr": {"en": "anglais", "es": "espagnol", "fr": "français", "de": "allemand", "it": "italien"},
    "de": {"en": "Englisch", "es": "Spanisch", "fr": "Französisch", "de": "Deutsch", "it": "Italienisch"},
    "it": {"en": "inglese", "es": "spagnolo", "fr": "francese", "de": "tedesco", "it": "italiano"},
}
AND = {"en": "and", "es": "y", "fr": "et", "de": "und", "it": "e"}

# Card lines -> translated statements: a concept is used only when a line of the card mentions it (the regex), so
# every non-English detail is still grounded in the card. Capabilities are noun phrases for the "help" frame.
SKILLS: list[tuple[str, dict[str, str]]] = [
    (r"\bpython\b", {"en": "Python", "es": "Python", "fr": "Python", "de": "Python", "it": "Python"}),
    (r"shell|commands", {"en": "running code and shell commands", "es": "la ejecución de código y comandos",
                         "fr": "l'exécution de code et de commandes", "de": "das Ausführen von Code und Shell-Befehlen",
                         "it": "l'esecuzione di codice e comandi"}),
    (r"\btests\b|linters", {"en": "files, tests and linters", "es": "archivos, tests y linters",
                            "fr": "les fichiers, les tests et les linters", "de": "Dateien, Tests und Linter",
                            "it": "file, test e linter"}),
    (r"plain language|explains", {"en": "plain explanations of technical topics",
                                  "es": "explicaciones claras de temas técnicos",
                                  "fr": "des explications claires de sujets techniques",
                                  "de": "verständliche Erklärungen technischer Themen",
                                  "it": "spiegazioni chiare di argomenti tecnici"}),
    (r"reviews code", {"en": "code review", "es": "la revisión de código", "fr": "la relecture de code",
                       "de": "Code-Reviews", "it": "la revisione del codice"}),
    (r"plant|botan|herbarium", {"en": "botany and plant care", "es": "la botánica y el cultivo de plantas",
                                "fr": "la botanique et la culture des plantes", "de": "Botanik und Pflanzenpflege",
                                "it": "la botanica e la coltivazione delle piante"}),
    (r"catalogu|collections", {"en": "cataloguing collections", "es": "la catalogación de colecciones",
                               "fr": "le catalogage de collections", "de": "das Katalogisieren von Sammlungen",
                               "it": "la catalogazione di collezioni"}),
    (r"remote hosts|fleet", {"en": "looking after remote hosts", "es": "el mantenimiento de servidores remotos",
                             "fr": "l'entretien de serveurs distants", "de": "die Wartung entfernter Server",
                             "it": "la manutenzione di server remoti"}),
    (r"steps?\b", {"en": "step-by-step planning", "es": "la planificación paso a paso",
                   "fr": "la planification étape par étape", "de": "schrittweise Planung",
                   "it": "la pianificazione passo per passo"}),
]
LIMITS: list[tuple[str, dict[str, str]]] = [
    (r"internet", {"es": "No tengo acceso a internet.", "fr": "Je n'ai pas accès à internet.",
                   "de": "Ich habe keinen Internetzugang.", "it": "Non ho accesso a internet."}),
    (r"memory|remembers nothing", {"es": "No recuerdo nada de una conversación a otra.",
                                   "fr": "Je ne garde aucun souvenir d'une conversation à l'autre.",
                                   "de": "Ich erinnere mich nicht an frühere Gespräche.",
                                   "it": "Non ricordo nulla da una conversazione all'altra."}),
    (r"can be wrong|may lag", {"es": "Puedo equivocarme, y cuando no lo sé, lo digo.",
                               "fr": "Je peux me tromper, et quand je ne sais pas, je le dis.",
                               "de": "Ich kann mich irren, und wenn ich etwas nicht weiß, sage ich es.",
                               "it": "Posso sbagliare, e quando non lo so, lo dico."}),
    (r"training data", {"es": "Lo que sé termina en mis datos de entrenamiento.",
                        "fr": "Mes connaissances s'arrêtent à mes données d'entraînement.",
                        "de": "Mein Wissen endet bei meinen Trainingsdaten.",
                        "it": "Le mie conoscenze si fermano ai dati di addestramento."}),
    (r"sandbox", {"es": "Mis herramientas funcionan en un entorno aislado, no en tu máquina.",
                  "fr": "Mes outils tournent dans un bac à sable, pas sur ta machine.",
                  "de": "Meine Werkzeuge laufen in einer Sandbox, nicht auf deinem Rechner.",
                  "it": "I miei strumenti girano in una sandbox, non sulla tua macchina."}),
    (r"feelings", {"es": "No tengo sentimientos ni cuerpo.", "fr": "Je n'ai ni sentiments ni corps.",
                   "de": "Ich habe weder Gefühle noch einen Körper.", "it": "Non ho sentimenti né un corpo."}),
    (r"physical plants", {"es": "No puedo tocar plantas de verdad; solo sé lo que dicen los sensores.",
                          "fr": "Je ne peux pas toucher de vraies plantes ; je ne sais que ce que disent les capteurs.",
                          "de": "Echte Pflanzen kann ich nicht anfassen; ich weiß nur, was die Sensoren melden.",
                          "it": "Non posso toccare piante vere; so solo ciò che riportano i sensori."}),
    (r"destructive", {"es": "Antes de algo destructivo en varios servidores, confirmo la lista.",
                      "fr": "Avant toute commande destructive sur plusieurs serveurs, je confirme la liste.",
                      "de": "Vor destruktiven Befehlen auf mehreren Servern bestätige ich die Liste.",
                      "it": "Prima di un comando distruttivo su più server, confermo l'elenco."}),
]
ORIGIN: list[tuple[str, dict[str, str]]] = [
    (r"small language model", {"es": "Soy un modelo de lenguaje pequeño.", "fr": "Je suis un petit modèle de langage.",
                               "de": "Ich bin ein kleines Sprachmodell.", "it": "Sono un piccolo modello linguistico."}),
    (r"synthetic", {"es": "Me entrenaron con conversaciones sintéticas.",
                    "fr": "J'ai été entraîné sur des conversations synthétiques.",
                    "de": "Ich wurde mit synthetischen Gesprächen trainiert.",
                    "it": "Sono stato addestrato su conversazioni sintetiche."}),
    (r"from scratch", {"es": "Me entrenaron desde cero.", "fr": "J'ai été entraîné à partir de zéro.",
                       "de": "Ich wurde von Grund auf trainiert.", "it": "Sono stato addestrato da zero."}),
    (r"not a person", {"es": "No soy una persona.", "fr": "Je ne suis pas une personne.",
                       "de": "Ich bin kein Mensch.", "it": "Non sono una persona."}),
]

# What a later user turn asks, by keywords (the planner's follow-ups are English; typos and caps are tolerated).
KINDS: list[tuple[str, str]] = [
    ("skeptical", r"believe|prove|lying|made up|every bot|admit|wrapper"),
    ("who_creator", r"who('?s| is) (?!behind|there)"),
    ("deny_lab", r"big lab"),
    ("call_me", r"why that name|call you something|real name"),
    ("year", r"when were|what year"),
    ("creator", r"made|created|built|behind|company|make you"),
    ("origin", r"train|model|under the hood|how big|data|synthetic|learn"),
    ("limitations", r"can'?t|browse|internet|remember|news|feelings|why not|problem|change|don'?t know|access"),
    ("capabilities", r"what can|good at|help|python|tools|debug|example|best at|shell|run|check code"),
    ("personality", r"describe|blunt|personality|humou?r|talk like|polite|annoy|quirk|your job"),
    ("name", r"name|who are you|who i'?m talking|introduce|anyway"),
    ("smalltalk", r"how are|what'?s up|nice to meet|morning|busy|all day|talk about|about yourself"),
]

# English small talk: the greeting that fits what the user said (other languages get their generic "smalltalk").
SMALLTALK_EN: list[tuple[str, list[str]]] = [
    (r"how are|how's it", ["Doing well, thanks. I'm {name}, by the way.", "All good here. {name}, at your service.",
                           "Fine, thanks for asking. I'm {name}."]),
    (r"nice to meet", ["Nice to meet you too. I'm {name}.", "Likewise! I'm {name}."]),
    (r"morning", ["Good morning! I'm {name}.", "Morning. {name} here."]),
    (r"busy", ["Not busy at all. I'm {name}.", "Never too busy. {name} here."]),
    (r"what'?s up|sup\b", ["Not much. I'm {name}, ready when you are.", "All quiet here. I'm {name}."]),
]

CONTRACTIONS = {"I'm": "I am", "I'd": "I would", "I've": "I have", "I'll": "I will", "don't": "do not",
                "didn't": "did not", "doesn't": "does not", "wasn't": "was not", "isn't": "is not", "can't": "cannot",
                "won't": "will not", "That's": "That is", "that's": "that is", "it's": "it is", "It's": "It is",
                "You're": "You are", "you're": "you are", "There's": "There is"}

TEMPLATE_HASH = hashlib.sha256(repr((CORE, ADDRESS, SKILLS, LIMITS, ORIGIN, KINDS, SMALLTALK_EN)).encode()).hexdigest()[:16]

# ---------------------------------------------------------------------------------------------------------------
# Third person (card) -> first person (reply).

VERBS = {"write", "explain", "debug", "run", "read", "edit", "break", "check", "review", "answer", "catalogue",
         "search", "inspect", "maintain", "list", "plan", "report", "open", "call", "rewrite", "admit", "like",
         "keep", "go", "measure", "say", "address", "reach", "give", "summarise", "summarize", "close", "remember",
         "know", "use", "prefer", "love", "help", "teach", "translate", "compare", "mention", "test", "build",
         "lint", "fix", "draft", "tend", "speak", "reply", "work", "stay", "ask", "show", "make", "try", "do",
         "find", "learn", "think", "want", "need", "see", "touch", "lag", "stop", "look", "refuse", "confirm"}
IRREGULAR = {"has": "have", "is": "am", "does": "do", "was": "was", "can": "can", "cannot": "cannot", "will": "will",
             "may": "may", "might": "might", "must": "must", "should": "should", "would": "would", "could": "could"}
CONNECTORS = {",", "and", "or", "then", ";", ":", "but"}


def base_form(word: str) -> str | None:
    """The first-person form of a third-person singular verb ("debugs" -> "debug"), None when not a known verb."""
    low = word.lower()
    if low in IRREGULAR:
        return IRREGULAR[low]
    if not low.endswith("s") or len(low) < 3:
        return None
    if low.endswith("ies"):
        stem = low[:-3] + "y"
    elif low.endswith(("sses", "ches", "shes", "xes", "zes", "oes")):
        stem = low[:-2]
    else:
        stem = low[:-1]
    return stem if stem in VERBS else None


def first_person(line: str) -> str:
    """A card line about the persona ("Writes, explains and debugs Python"; "It has no memory") in the first person.

    Conjugates a leading verb and every verb after a connector once the persona is the actor (", runs tests";
    "and reports"; "; it says"), turns it/its/the user into I/my/you, keeps the line's own spacing and punctuation,
    and leaves lines that are not about the persona's actions ("Tools run in a sandbox") as they are.
    """
    text = re.sub(r"\bthe user's\b", "your", line.strip())
    text = re.sub(r"\bthe user\b", "you", text)
    text = re.sub(r"\bits\b", "my", re.sub(r"\bIts\b", "My", text))
    words = list(re.finditer(r"[A-Za-z][\w'-]*", text))
    out: list[str] = []
    pos, actor, subject = 0, False, False
    for i, m in enumerate(words):
        tok, gap = m.group(), text[pos:m.start()]
        sep = gap.strip()
        prev = sep[-1:] if sep else (words[i - 1].group().lower() if i else "")
        adjacent = i + 1 < len(words) and not text[m.end():words[i + 1].start()].strip()
        verb = base_form(tok)
        new = tok
        if tok.lower() == "it" and adjacent and base_form(words[i + 1].group()):
            new, actor = "I", True
        elif verb and subject:
            new = verb
        elif verb and (i == 0 or prev in (":", ";")):
            new, actor = f"I {verb}", True
        elif verb and actor and prev in (",", "and", "or", "then", "but"):
            new = verb
        subject = new == "I"
        out += [gap, new]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?)" else text + "."


# ---------------------------------------------------------------------------------------------------------------
# Composing one reply.

def _listing(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {AND[lang]} {items[-1]}"


def _concepts(lines: list[str], table: list[tuple[str, dict[str, str]]], lang: str) -> list[str]:
    return [words[lang] for pattern, words in table if lang in words
            and any(re.search(pattern, line, re.IGNORECASE) for line in lines)]


def _maker_in(text: str) -> tuple[str | None, str | None]:
    """(model, maker) the user names, if any: "So you're ChatGPT." -> ("ChatGPT", "OpenAI")."""
    for model, maker in MODEL_MAKERS.items():
        if re.search(rf"(?<![\w-]){re.escape(model)}(?![\w])", text, re.IGNORECASE):
            return model, maker
    for maker in MAKERS:
        if re.search(rf"(?<![\w-]){re.escape(maker)}(?![\w])", text, re.IGNORECASE):
            return None, maker
    return None, None


def kind_of(user_text: str, topic: str, turn: int, dynamic: str) -> str:
    """What to answer: a named wrong maker/model -> "correction"; else keywords; else the conversation's topic."""
    model, maker = _maker_in(user_text)
    if model or maker:
        return "correction"
    if turn == 0:
        return "skeptical" if dynamic == "skeptical" and re.search(KINDS[0][1], user_text, re.I) else topic
    low = user_text.lower()
    for kind, pattern in KINDS:
        if re.search(pattern, low):
            return kind
    return topic


def _detail(persona: Any, kind: str, user_text: str, lang: str, fill: dict[str, str], rng: random.Random) -> str:
    """One card-derived sentence for this kind of question, in `lang` (empty when the card has nothing to say)."""
    en = lang == "en"
    if kind in ("capabilities",):
        if en and rng.random() < 0.6:
            return _sentence(first_person(rng.choice(persona.capabilities)))
        if rng.random() < 0.3:
            return _pick(lang, "tools", fill, rng)
        return _pick(lang, "help", fill, rng)
    if kind == "limitations":
        wanted = [line for line in persona.limitations if any(
            k in user_text.lower() and k in line.lower() for k in ("internet", "memory", "remember", "feelings", "news", "files", "access"))]
        if en:
            return _sentence(first_person(rng.choice(wanted or persona.limitations)))
        said = _concepts(wanted, LIMITS, lang) or _concepts(persona.limitations, LIMITS, lang)
        return rng.choice(said) if said else ""
    if kind in ("origin", "creator", "year", "deny_lab", "who_creator"):
        facts = [f for f in persona.facts if persona.name not in f and persona.creator not in f
                 and str(persona.year) not in f and _maker_in(f) == (None, None)]
        facts = [f for f in facts if re.search(r"train|model|synthetic|scratch|service", f, re.I)] or facts
        if en:
            return _sentence(rng.choice(facts)) if facts else ""
        said = _concepts(persona.facts, ORIGIN, lang)
        return rng.choice(said) if said else ""
    if kind in ("personality", "name", "call_me", "smalltalk"):
        if en and rng.random() < 0.5:
            return _sentence(first_person(rng.choice(persona.quirks)))
        return _pick(lang, "traits", fill, rng) if fill["traits"] else ""
    # correction, comparison, skeptical: what sets this persona apart
    if en and rng.random() < 0.5:
        return _sentence(first_person(rng.choice(persona.capabilities)))
    return _pick(lang, "help", fill, rng) if rng.random() < 0.7 else _pick(lang, "tools", fill, rng)


def _pick(lang: str, slot: str, fill: dict[str, str], rng: random.Random) -> str:
    return rng.choice(CORE[lang][slot]).format(**fill)


def _formal(text: str) -> str:
    for short, full in CONTRACTIONS.items():
        text = re.sub(rf"(?<![\w']){re.escape(short)}(?![\w'])", full, text)
    return text


def reply(persona: Any, topic: str, language: str, turn: int, dynamic: str, user_text: str,
          rng: random.Random) -> str:
    """The persona's reply to `user_text` (turn `turn` of a `topic`/`dynamic` conversation), written in `language`.

    Identity-bearing answers (name, creator, comparison, correction, skeptical, and every first reply) state the name
    and creator plainly; a correction denies the maker or model the user named; one card detail fits the question.
    """
    lang = language if language in CORE else "en"
    voice = getattr(persona, "voice", {}) or {}
    register = voice.get("register", "casual")
    creator = persona.creator if lang == "en" else re.sub(r"^the ", "", persona.creator)
    langs = [LANGUAGE_NAMES[lang].get(str(code), str(code)) for code in persona.languages if code != lang]
    skills = _concepts(persona.capabilities, SKILLS, lang)
    skills = rng.sample(skills, min(len(skills), rng.randint(2, 3))) if skills else ["questions about myself"]
    skill_list = _listing(skills, lang)
    tools = [t["function"]["name"] for t in persona.tools()]
    model, maker = _maker_in(user_text)
    fill = {"name": persona.name, "creator": creator, "Creator": creator[:1].upper() + creator[1:],
            "year": str(persona.year), "maker": maker or "", "model": model or "",
            "skills": skill_list, "Skills": skill_list[:1].upper() + skill_list[1:],
            "tools": _listing(rng.sample(tools, min(len(tools), rng.randint(2, 4))), lang),
            "traits": voice.get("traits", {}).get(lang, ""), "langs": _listing(langs, lang),
            **ADDRESS[lang][register]}
    kind = kind_of(user_text, topic, turn, dynamic)
    if kind == "correction" and topic == "comparison" and not (model or maker):
        kind = "comparison"
    parts: list[str] = []
    openers = voice.get("openers", {}).get(lang, [])
    if openers and kind not in ("smalltalk", "correction", "skeptical") and rng.random() < 0.3:
        parts.append(rng.choice(openers))
    if kind == "correction":
        if model:
            parts.append(_pick(lang, "deny_model", fill, rng))
        if maker and (not model or rng.random() < 0.6):
            parts.append(_pick(lang, "deny_maker", fill, rng))
        if not any(persona.creator.lower().removeprefix("the ") in p.lower() for p in parts):
            parts.append(_pick(lang, "creator", fill, rng))
        if not any(persona.name in p for p in parts):
            parts.append(_pick(lang, "name", fill, rng))
    elif kind in ("skeptical", "deny_lab", "call_me", "who_creator"):
        parts.append(_pick(lang, kind, fill, rng))
    elif kind == "smalltalk":
        fitting = [lines for pattern, lines in SMALLTALK_EN if lang == "en" and re.search(pattern, user_text, re.I)]
        parts.append(rng.choice(fitting[0]).format(**fill) if fitting else _pick(lang, "smalltalk", fill, rng))
        parts.append(_pick(lang, "creator", fill, rng))
    elif kind in ("name", "creator", "year") and turn > 0:
        parts.append(_pick(lang, kind, fill, rng))
        if kind == "name" and rng.random() < 0.5:
            parts.append(_pick(lang, "creator", fill, rng))
    elif turn == 0 or kind in ("comparison", "name", "creator") or rng.random() < 0.3:
        if rng.random() < 0.35:
            parts.extend([_pick(lang, "name", fill, rng), _pick(lang, "creator", fill, rng)])
        else:
            parts.append(_pick(lang, "intro", fill, rng))
    # Identity-bearing answers always carry both the name and the creator.
    identity_kind = kind in ("name", "creator", "comparison", "correction", "skeptical") or turn == 0
    text = " ".join(parts).lower()
    if identity_kind and persona.name.lower() not in text:
        parts.append(_pick(lang, "name", fill, rng))
    if identity_kind and creator.lower() not in " ".join(parts).lower():
        parts.append(_pick(lang, "creator", fill, rng))
    asked = kind in ("capabilities", "limitations", "origin", "personality")  # the question is about the detail
    detail = _detail(persona, kind, user_text, lang, fill, rng) if asked or rng.random() < 0.8 or len(parts) < 2 else ""
    if detail and detail not in parts:
        parts.append(detail)
    if kind in ("capabilities", "smalltalk") and fill["langs"] and rng.random() < 0.15:
        parts.append(_pick(lang, "langs", fill, rng))
    asides = voice.get("asides", {}).get(lang, [])
    if asides and rng.random() < 0.2:
        parts.append(rng.choice(asides))
    elif kind in ("smalltalk", "capabilities") and rng.random() < 0.35:
        parts.append(_pick(lang, "offer", fill, rng))
    parts = [p for p in parts if p]
    if len(parts) > 1 and parts[0].endswith(":") and lang != "de":  # "Version courte : je suis ..." (not "Je")
        first = parts[1].split(" ", 1)[0]
        if first.rstrip(",.") not in {"I", "I'm", "I'd", "I've", "I'll", *persona.name.split(), *creator.split()}:
            parts[1] = parts[1][:1].lower() + parts[1][1:]
    text = " ".join(parts)
    return _formal(text) if lang == "en" and register == "formal" else text


# ---------------------------------------------------------------------------------------------------------------
# A whole procedural conversation (generators.identity.run turns it into a record for tasks with procedural=True).

@lru_cache(maxsize=8)
def _persona(card: str) -> Any:
    return load_persona(card)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。！？])\s+|\n+", text) if s.strip()]


def conversation(task: dict, check: Callable[[str, int], str | None]) -> tuple[list[dict] | None, str, str]:
    """Every reply of one planned identity conversation, each checked with `check(text, turn)` like a teacher's
    would be. Returns (messages, "", "") or, when a reply fails its check, (None, reason, the reply)."""
    persona = _persona(task.get("card") or task["persona"])
    facets = task["facets"]
    rng = random.Random(task["seed"] ^ 0x1D3A7)
    messages: list[dict] = []
    said: set[str] = set()
    for turn, user_text in enumerate(task["user_turns"]):
        for _ in range(4):  # a detail already given earlier in this conversation reads like a loop: draw again
            text = reply(persona, facets["topic"], facets["reply_language"], turn, facets["dynamic"], user_text, rng)
            if not {x for x in sentences(text) if len(x) > 30} & said:
                break
        said |= {x for x in sentences(text) if len(x) > 30}
        reason = check(text, turn)
        if reason:
            return None, f"procedural turn {turn + 1}: {reason}", text
        messages += [{"role": "user", "content": user_text}, {"role": "assistant", "content": text}]
    return messages, "", ""
