"""Words the simulator writes with: fictional names, hashtags, news domains and text fragments.

Everything here is invented (French-flavoured, with some English and Spanish) so the demo data
never quotes or impersonates a real person. Only data lives here; the code that combines the
pieces is in :mod:`.texts`.
"""

from __future__ import annotations

__all__ = [
    "CANDIDATE",
    "ATTACK_TAG",
    "COUNTER_TAG",
    "ATTACK_TAG_VARIANTS",
    "COUNTER_TAG_VARIANTS",
    "CELEBRITIES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "TOPICS",
    "NEWS_DOMAINS",
    "SOURCES",
    "EMOJIS",
    "ATTACK_TEMPLATES",
    "ATTACK_SLOTS",
    "COUNTER_PARTS",
    "COUNTER_SLOGAN",
    "ORGANIC_DESCRIPTIONS",
    "BOT_DESCRIPTIONS",
]

# Data tables, laid out by hand for reading.
# fmt: off
CANDIDATE = {"name": "Malik Dorsani", "username": "MalikDorsani", "surname": "Dorsani"}

ATTACK_TAG = "RemigrationDorsani"
COUNTER_TAG = "JeSoutiensDorsani"
# How people actually type the tags: same normalised key, different raw forms.
ATTACK_TAG_VARIANTS = ("RemigrationDorsani",) * 6 + ("remigrationdorsani", "REMIGRATIONDORSANI")
COUNTER_TAG_VARIANTS = ("JeSoutiensDorsani",) * 5 + ("jesoutiensdorsani", "JeSoutiensDORSANI")

# (username, display name, kind, language): news outlets and personalities whose posts cascade.
CELEBRITIES = (
    ("LeJournalDuSoir", "Le Journal du Soir", "news", "fr"),
    ("InfoDirect24", "Info Direct 24", "news", "fr"),
    ("RadioCentreFR", "Radio Centre", "news", "fr"),
    ("SportMatinFR", "Sport Matin", "sport", "fr"),
    ("CultureHebdo", "Culture Hebdo", "culture", "fr"),
    ("LaGazetteDuNord", "La Gazette du Nord", "news", "fr"),
    ("ChloeVernetMusic", "Chloé Vernet", "culture", "fr"),
    ("TomGarnier_10", "Tom Garnier", "sport", "fr"),
    ("EuroWireNews", "EuroWire", "news", "en"),
    ("LeDebatPublic", "Le Débat Public", "politics", "fr"),
    (CANDIDATE["username"], CANDIDATE["name"], "politics", "fr"),
)

FIRST_NAMES = (
    "Camille", "Lucas", "Manon", "Hugo", "Chloé", "Louis", "Léa", "Nathan", "Emma", "Jules",
    "Inès", "Gabriel", "Sarah", "Arthur", "Jade", "Yanis", "Louise", "Adam", "Lina", "Théo",
    "Nora", "Paul", "Zoé", "Sami", "Alice", "Karim", "Julie", "Mehdi", "Anaïs", "Thomas",
    "Claire", "Bruno", "Sophie", "Olivier", "Amina", "Pierre", "Elodie", "Rachid", "Marion",
    "Vincent", "Laura", "Antoine", "Fatou", "Nicolas", "Agathe", "Kevin", "Aurélie", "Franck",
    "Mathilde", "Sébastien", "Hélène", "Yasmine", "Romain", "Pauline", "Jérôme", "Océane",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy",
    "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert",
    "Fontaine", "Rousseau", "Vincent", "Muller", "Lefevre", "Faure", "Andre", "Mercier",
    "Blanc", "Guerin", "Boyer", "Garnier", "Chevalier", "Francois", "Legrand", "Gauthier",
    "Garcia", "Perrin", "Robin", "Clement", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
    "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noel",
    "Benali", "Haddad", "Nguyen", "Diallo", "Traore", "Mendes", "Costa", "Rossi",
)

# Topic -> hashtags (most popular first) and text fragments per language.
TOPICS = {
    "politics": {
        "tags": ("Presidentielle", "DebatDuJeudi", "ReformeDesRetraites", "Assemblee",
                 "BudgetRectificatif", "ElectionsRegionales", "Senat"),
        "fr": ("le débat d'hier soir était", "cette réforme est", "le gouvernement reste",
               "le dernier sondage est", "le discours du ministre était",
               "la campagne présidentielle devient", "le vote au Sénat sera",
               "la majorité semble", "le texte de l'opposition est", "le budget prévu est"),
        "en": ("the French debate last night was", "this pension reform looks",
               "the presidential race is getting", "the latest poll is"),
        "es": ("el debate de anoche fue", "la reforma francesa parece"),
    },
    "news": {
        "tags": ("Info", "Direct", "GreveDuRail", "Inondations", "Canicule", "Economie"),
        "fr": ("la grève du rail est", "la situation dans le sud est",
               "la météo de ce week-end est", "la hausse des prix est", "le trafic reste perturbé",
               "le rapport publié ce matin est", "l'annonce de la préfecture est",
               "la situation reste"),
        "en": ("the rail strike in France is", "the flood response is",
               "energy prices are"),
        "es": ("la huelga de trenes es", "la situación es"),
    },
    "sport": {
        "tags": ("ClassicoDuSud", "Ligue1", "XVdeFrance", "TourDeFrance", "MercatoEte"),
        "fr": ("le match de ce soir était", "l'arbitrage était", "le mercato s'annonce",
               "le but de la 80e était", "l'équipe de France est",
               "le classement de la ligue est", "ce transfert serait"),
        "en": ("tonight's match was", "that transfer rumour is", "the refereeing was"),
        "es": ("el partido fue", "el fichaje sería"),
    },
    "culture": {
        "tags": ("PrixDesLecteurs", "FestivalDeLoire", "NouvelAlbum", "CinemaFR", "SerieDuSoir"),
        "fr": ("le nouvel album est", "ce film est", "le festival cette année était",
               "la série de ce soir est", "ce livre est", "le concert d'hier était"),
        "en": ("the new album is", "this film was", "the festival this year was"),
        "es": ("el nuevo disco es", "esta película fue"),
    },
}

# Endings, per language, that turn a fragment into a plausible sentence.
ENDINGS = {
    "fr": ("vraiment incroyable.", "franchement décevant.", "inquiétant, à suivre.",
           "une vraie surprise.",
           "du grand n'importe quoi.", "pas mal du tout !", "plutôt réussi.",
           "sans grand intérêt.", "enfin à la hauteur.", "prometteur.", "bof.",
           "un vrai scandale.", "sous-estimé.", "très clair, pour une fois."),
    "en": ("honestly impressive.", "quite disappointing.", "worrying.", "not bad at all!",
           "hard to believe.", "worth watching."),
    "es": ("increíble.", "decepcionante.", "preocupante."),
}
__all__ += ["ENDINGS", "REPLY_OPENERS", "QUOTE_OPENERS"]

REPLY_OPENERS = {
    "fr": ("Tout à fait d'accord.", "Pas du tout d'accord.", "Source ?", "Exactement !",
           "Merci pour l'info.", "Vous oubliez un détail.", "Bien dit.", "N'importe quoi.",
           "C'est plus compliqué que ça.", "Enfin quelqu'un qui le dit."),
    "en": ("Totally agree.", "Source?", "Well said.", "Not so simple."),
    "es": ("Totalmente de acuerdo.", "¿Fuente?"),
}
QUOTE_OPENERS = {
    "fr": ("À lire.", "Intéressant :", "Voilà.", "On en parle ?", "Incroyable.", "Thread utile."),
    "en": ("Worth a read.", "Interesting:", "This."),
    "es": ("Interesante:", "Para leer."),
}

# Fictional news sites; paths are built from these slugs.
NEWS_DOMAINS = (
    "www.lejournaldusoir.fr", "infodirect24.fr", "www.radiocentre.fr", "lagazettedunord.fr",
    "www.eurowire-news.com", "sportmatin.fr", "culturehebdo.fr",
)
ARTICLE_SLUGS = (
    "politique/le-debat-en-cinq-points", "societe/greve-du-rail-le-point", "economie/budget-2026",
    "sport/classico-les-notes", "culture/prix-des-lecteurs-la-selection",
    "politique/campagne-dorsani-cible-de-harcelement", "meteo/alerte-orages",
    "politique/sondage-presidentielle", "societe/inondations-le-bilan",
)
UTM_SUFFIXES = (
    "?utm_source=twitter&utm_medium=social", "?utm_source=twitter&utm_campaign=partage",
    "?xtor=RSS-3208", "?utm_medium=Social&utm_source=Twitter#Echobox=1700000000",
)
__all__ += ["ARTICLE_SLUGS", "UTM_SUFFIXES"]

SOURCES = ("Twitter for iPhone", "Twitter for Android", "Twitter Web App", "TweetDeck", "IFTTT")

EMOJIS = ("🇫🇷", "🔥", "💪", "👉", "‼️", "😡", "👇", "🙏", "✊")

# Near-duplicate templates of the attack: {tag} is the attack hashtag, other slots below.
ATTACK_TEMPLATES = (
    "{interj} {cand} n'a rien à faire dans cette élection. {tag} {emoji}",
    "{tag} : la France mérite mieux que {cand}. {call} {emoji}",
    "{emoji} {call} {tag} {mention}",
    "On ne lâche rien ! {tag} #Presidentielle {emoji}",
    "{cand} {verb}. {tag} {emoji}{emoji2}",
)
ATTACK_SLOTS = {
    "interj": ("Stop !", "Assez !", "Ça suffit !", "Réveillez-vous !", "Franchement,"),
    "cand": ("Dorsani", "Malik Dorsani", "Le candidat Dorsani", "@MalikDorsani"),
    "call": ("Partagez massivement !", "RT pour faire monter !", "Tous ensemble !",
             "Faites tourner !", "Faites monter le tag !"),
    "verb": ("doit se retirer", "ne nous représente pas", "doit rendre des comptes",
             "n'est pas des nôtres", "doit partir"),
}

# Counter-campaign originals: varied sentences assembled from these parts.
COUNTER_PARTS = {
    "fr": {
        "open": ("Solidarité totale avec", "Tout mon soutien à", "Pensées pour",
                 "Je ne laisserai pas passer ça :", "Honte à ceux qui harcèlent",
                 "Force à", "Soutien sans réserve à", "Ce qui arrive à"),
        "subject": ("@MalikDorsani", "Malik Dorsani", "notre candidat", "Dorsani"),
        "close": ("Le racisme n'est pas une opinion.", "La haine ne passera pas.",
                  "Quelques comptes ne font pas un pays.", "On est bien plus nombreux.",
                  "Ce harcèlement est indigne.", "Signalez ces comptes.", "Merci à tous.",
                  "Les débats oui, la haine non.", "Courage !"),
    },
    "en": {
        "open": ("Full solidarity with", "Standing with", "Shame on the accounts harassing"),
        "subject": ("@MalikDorsani", "Malik Dorsani"),
        "close": ("Racism is not an opinion.", "Hate will not win.", "Report these accounts."),
    },
    "es": {
        "open": ("Toda mi solidaridad con",),
        "subject": ("@MalikDorsani",),
        "close": ("El odio no pasará.",),
    },
}
# Copy-paste slogan shared by many organic accounts over hours: identical text, not coordinated.
COUNTER_SLOGAN = "Je soutiens @MalikDorsani face au harcèlement raciste. #JeSoutiensDorsani"

ORGANIC_DESCRIPTIONS = (
    "", "", "Journaliste indépendante.", "Prof d'histoire. Avis perso.", "Supporter depuis 1998.",
    "Lecteur, marcheur, râleur.", "Papa de deux enfants.", "Étudiante en droit.",
    "Ingénieur le jour, musicien la nuit.", "Citoyen engagé.", "Runner. Café. Podcasts.",
    "Developer. Opinions are my own.", "Infirmière.", "Passionné de cinéma.",
)
BOT_DESCRIPTIONS = (
    "", "", "🇫🇷 Patriote", "Souverainiste 🇫🇷", "La France d'abord", "🇫🇷🇫🇷🇫🇷",
    "Réveillez-vous", "Libre penseur 🇫🇷",
)

# Look-alike: automated accounts posting every headline of the feeds they follow.
# (handle, display name, description); each follows some of NEWS_FEEDS.
NEWS_BOTS = (
    ("FlashActuBot", "Flash Actu (bot)", "Bot : les titres de la presse, en continu."),
    ("InfoContinueFR", "Info Continue", "Compte automatique. Les dernières dépêches."),
    ("TitresDuJourBot", "Titres du jour", "Je publie les titres de vos journaux. Bot."),
    ("VeilleActu_fr", "Veille Actu", "Revue de presse automatique."),
    ("RevuePresseBot", "Revue de presse", "Bot non officiel. Titres et liens."),
)
NEWS_FEEDS = (
    ("www.lejournaldusoir.fr", "Le Journal du Soir"), ("infodirect24.fr", "Info Direct 24"),
    ("www.radiocentre.fr", "Radio Centre"), ("lagazettedunord.fr", "La Gazette du Nord"),
)
HEADLINES = (
    "Grève du rail : le trafic reste perturbé", "Budget : le Sénat adopte le texte",
    "Inondations : trois départements en vigilance", "Présidentielle : le nouveau sondage",
    "Retraites : ce que prévoit la réforme", "Canicule : les conseils de la préfecture",
    "Ligue 1 : les résultats de la soirée", "Économie : la hausse des prix ralentit",
    "Débat : les cinq moments à retenir", "Festival : la programmation dévoilée",
    "Assemblée : le vote reporté", "Météo : alerte aux orages ce week-end",
)
__all__ += ["NEWS_BOTS", "NEWS_FEEDS", "HEADLINES"]

# Planted link network: fictional fringe sites, and the comments its accounts add to a link.
FRINGE_DOMAINS = ("verite-cachee.net", "lecho-patriote.fr", "resistance-info.org")
FRINGE_SLUGS = (
    "dorsani-les-documents-quils-cachent", "le-vrai-bilan-de-dorsani",
    "ce-que-les-medias-ne-disent-pas", "enquete-sur-les-financements",
    "la-verite-sur-le-sondage", "les-chiffres-interdits", "scandale-a-la-mairie",
)
LINK_COMMENTS = (
    "À lire absolument", "Ils ne vous le diront pas", "Tout est là", "Enfin la vérité",
    "Partagez avant suppression", "Incroyable mais vrai", "Lisez et faites tourner",
    "Les médias se taisent", "Ouvrez les yeux", "Voilà ce qu'on nous cache",
    "Ça fait réfléchir", "Édifiant", "Le lien qui dérange", "Qui en parle ?",
    "Personne n'en parle", "Important", "À diffuser", "Lecture obligatoire",
)
SHORTENERS = ("bit.ly", "ow.ly", "buff.ly", "tinyurl.com")
UTM_SOURCES = ("twitter", "tw", "x", "social", "share", "t")
UTM_CAMPAIGNS = ("partage", "rs", "diffusion", "relais", "campagne", "a1", "b2", "c3")
__all__ += ["FRINGE_DOMAINS", "FRINGE_SLUGS", "LINK_COMMENTS", "SHORTENERS", "UTM_SOURCES",
            "UTM_CAMPAIGNS"]

# Planted hashtag flood: each wave carries three to five of these tags on original texts.
FLOOD_TAGS = ("DorsaniDemission", "ScandaleDorsani", "StopDorsani", "LaFranceDebout",
              "VoteUtile2027", "DorsaniMent")
FLOOD_OPENERS = ("Il est temps", "On en a assez", "Regardez bien", "Les Français savent",
                 "Pas une voix", "Ça ne peut plus durer", "Encore une fois", "Soyons clairs",
                 "Chacun a vu", "Rien ne change", "Mobilisation", "Ce soir encore")
FLOOD_MIDDLES = ("le candidat a menti", "la campagne s'effondre", "les promesses s'envolent",
                 "le programme ne tient pas", "les électeurs ne sont pas dupes",
                 "les sondages mentent", "la colère monte", "le pays mérite mieux",
                 "les masques tombent", "la vérité sortira")
FLOOD_ENDINGS = ("", "!", "...", " 👇", " 🇫🇷", " 🔥", ", faites passer.", ", partout.")
__all__ += ["FLOOD_TAGS", "FLOOD_OPENERS", "FLOOD_MIDDLES", "FLOOD_ENDINGS"]

# Planted reply raid: what the raiders answer under each post of the targeted account.
RAID_OPENERS = ("Honte à toi", "Journaliste militant", "Personne ne te croit",
                "Encore de la propagande", "Démissionne", "Tu mens", "Menteuse",
                "Va vérifier tes sources", "Torchon", "Pathétique", "Ridicule", "Bouffonne")
RAID_ENDINGS = ("", ".", " !", " !!", " 🤡", " 🤮", ", on te surveille.", ", désabonnement.",
                ", tu paieras.", ", tout le monde le sait.")
__all__ += ["RAID_OPENERS", "RAID_ENDINGS"]
# fmt: on
