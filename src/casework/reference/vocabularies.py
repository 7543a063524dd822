"""The contract's controlled vocabularies, with English and French labels.

Each vocabulary is a StrEnum (so the OpenAPI schema lists its codes) plus a
label table served by ``GET /api/v1/reference``. A test checks that every code
has both labels.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentType(StrEnum):
    killing = "killing"
    injury = "injury"
    abduction = "abduction"
    arbitrary_arrest = "arbitrary_arrest"
    extortion = "extortion"
    robbery = "robbery"
    property_destruction = "property_destruction"
    death_threat = "death_threat"
    forced_recruitment = "forced_recruitment"
    early_forced_marriage = "early_forced_marriage"
    sgbv = "sgbv"
    denial_of_access = "denial_of_access"
    forced_displacement = "forced_displacement"
    explosive_ordnance = "explosive_ordnance"
    other = "other"


class PerpetratorCategory(StrEnum):
    armed_group = "armed_group"
    security_forces = "security_forces"
    criminal = "criminal"
    community_member = "community_member"
    family_member = "family_member"
    unknown = "unknown"
    other = "other"


class PopulationGroup(StrEnum):
    refugee = "refugee"
    asylum_seeker = "asylum_seeker"
    idp = "idp"
    returned_idp = "returned_idp"
    returnee = "returnee"
    host_community = "host_community"
    other = "other"


class GbvType(StrEnum):
    rape = "rape"
    sexual_assault = "sexual_assault"
    physical_assault = "physical_assault"
    forced_marriage = "forced_marriage"
    denial_of_resources = "denial_of_resources"
    psychological_abuse = "psychological_abuse"


# --- GBVIMS intake (the Intake and Initial Assessment form, the Incident Recorder's menus) --


class GbvimsAgeGroup(StrEnum):
    """The GBVIMS age groups, for survivors and alleged perpetrators."""

    age_0_11 = "0-11"
    age_12_17 = "12-17"
    age_18_25 = "18-25"
    age_26_40 = "26-40"
    age_41_60 = "41-60"
    age_61_plus = "61+"
    unknown = "unknown"


class GbvimsSex(StrEnum):
    female = "female"
    male = "male"


class PerpetratorSex(StrEnum):
    female = "female"
    male = "male"
    both = "both"  # several perpetrators of both sexes
    unknown = "unknown"


class DisplacementStatus(StrEnum):
    resident = "resident"
    idp = "idp"
    refugee = "refugee"
    asylum_seeker = "asylum_seeker"
    returnee = "returnee"
    foreign_national = "foreign_national"
    stateless = "stateless"


class Disability(StrEnum):
    none = "none"
    physical = "physical"
    mental = "mental"
    physical_and_mental = "physical_and_mental"


class GbvLocationType(StrEnum):
    bush_forest = "bush_forest"
    field = "field"
    school = "school"
    road = "road"
    survivor_home = "survivor_home"
    perpetrator_home = "perpetrator_home"
    other_residence = "other_residence"
    service_facility = "service_facility"
    market = "market"
    street = "street"
    workplace = "workplace"
    detention = "detention"
    displacement_site = "displacement_site"
    other = "other"


class PerpetratorRelationship(StrEnum):
    intimate_partner = "intimate_partner"
    primary_caregiver = "primary_caregiver"
    family_other = "family_other"
    supervisor_employer = "supervisor_employer"
    schoolmate = "schoolmate"
    teacher = "teacher"
    service_provider = "service_provider"
    cotenant = "cotenant"
    friend_neighbour = "friend_neighbour"
    other_displaced = "other_displaced"
    community_member = "community_member"
    armed_actor = "armed_actor"
    no_relation = "no_relation"
    other = "other"
    unknown = "unknown"


class PreviouslyReported(StrEnum):
    no = "no"
    gbvims_agency = "gbvims_agency"
    other_agency = "other_agency"


class HarmfulPractice(StrEnum):
    none = "none"
    fgm = "fgm"
    early_marriage = "early_marriage"
    forced_marriage = "forced_marriage"
    honour_crime = "honour_crime"
    other = "other"


class Abduction(StrEnum):
    none = "none"
    forced_conscription = "forced_conscription"
    trafficked = "trafficked"
    other = "other"


class Service(StrEnum):
    medical = "medical"
    psychosocial = "psychosocial"
    legal = "legal"
    safety_security = "safety_security"
    livelihood = "livelihood"
    shelter = "shelter"
    documentation = "documentation"
    other = "other"


class Concern(StrEnum):
    documentation = "documentation"
    medical = "medical"
    financial_assistance = "financial_assistance"
    income_generation = "income_generation"
    education = "education"
    shelter = "shelter"
    legal = "legal"
    security = "security"
    family_reunification = "family_reunification"
    resettlement = "resettlement"
    repatriation = "repatriation"
    other = "other"


class Urgency(StrEnum):
    normal = "normal"
    urgent = "urgent"


class IncidentStatus(StrEnum):
    submitted = "submitted"
    verified = "verified"
    closed = "closed"


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class ConsentPurpose(StrEnum):
    services = "services"
    data_sharing = "data_sharing"
    reporting = "reporting"


class ConsentGivenBy(StrEnum):
    survivor = "survivor"
    person = "person"
    caregiver = "caregiver"
    guardian = "guardian"


class ReferralStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    acknowledged = "acknowledged"
    accepted = "accepted"
    declined = "declined"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"
    on_hold = "on_hold"


class AttachmentKind(StrEnum):
    consent_form = "consent_form"
    identity_document = "identity_document"
    repatriation_form = "repatriation_form"
    medical = "medical"
    other = "other"


class AcknowledgementBand(StrEnum):
    """How long after it was sent a referral was first acknowledged (reports' bands)."""

    within_24h = "within_24h"
    days_1_3 = "1_3_days"
    days_3_7 = "3_7_days"
    over_7_days = "over_7_days"
    not_acknowledged = "not_acknowledged"


class ReferralKind(StrEnum):
    incident = "incident"
    person = "person"
    sgbv = "sgbv"


class TaskKind(StrEnum):
    follow_up = "follow_up"
    review = "review"
    referral_follow_up = "referral_follow_up"
    other = "other"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class Language(StrEnum):
    fr = "fr"
    en = "en"


class AgeGroup(StrEnum):
    age_0_4 = "0-4"
    age_5_11 = "5-11"
    age_12_17 = "12-17"
    age_18_59 = "18-59"
    age_60_plus = "60+"


class RepatriationStatus(StrEnum):
    registered = "registered"
    counselled = "counselled"
    voluntariness_verified = "voluntariness_verified"
    documents_ready = "documents_ready"
    departed = "departed"
    arrived = "arrived"
    withdrawn = "withdrawn"
    suspended = "suspended"


class CaseStatus(StrEnum):
    """A person's case: open, or closed (a note is required both ways)."""

    open = "open"
    closed = "closed"


class SgbvCaseStatus(StrEnum):
    """An SGBV case: closing needs a supervisor's approval (GBVIMS+ closure approval)."""

    open = "open"
    closure_requested = "closure_requested"
    closed = "closed"


class CaseEventKind(StrEnum):
    created = "created"
    status = "status"
    assigned = "assigned"
    transfer_requested = "transfer_requested"
    transferred = "transferred"
    transfer_rejected = "transfer_rejected"
    transfer_cancelled = "transfer_cancelled"
    merged_into = "merged_into"  # this person was a duplicate, merged into another
    merged_from = "merged_from"  # a duplicate's records were moved to this person


class TransferStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    cancelled = "cancelled"


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    monitor = "monitor"
    caseworker = "caseworker"
    gbv_caseworker = "gbv_caseworker"
    actor_focal_point = "actor_focal_point"
    reporting = "reporting"


# code -> (English, French)
LABELS: dict[type[StrEnum], dict[str, tuple[str, str]]] = {
    IncidentType: {
        "killing": ("Killing", "Meurtre"),
        "injury": ("Injury", "Blessure"),
        "abduction": ("Abduction", "Enlèvement"),
        "arbitrary_arrest": (
            "Arbitrary arrest or detention",
            "Arrestation ou détention arbitraire",
        ),
        "extortion": ("Extortion", "Extorsion"),
        "robbery": ("Robbery", "Vol"),
        "property_destruction": ("Destruction of property", "Destruction de biens"),
        "death_threat": ("Death threat", "Menace de mort"),
        "forced_recruitment": ("Forced recruitment", "Recrutement forcé"),
        "early_forced_marriage": ("Early or forced marriage", "Mariage précoce ou forcé"),
        "sgbv": ("Sexual and gender-based violence", "Violence sexuelle et basée sur le genre"),
        "denial_of_access": ("Denial of access to services", "Déni d'accès aux services"),
        "forced_displacement": ("Forced displacement", "Déplacement forcé"),
        "explosive_ordnance": ("Explosive ordnance incident", "Incident lié aux engins explosifs"),
        "other": ("Other", "Autre"),
    },
    PerpetratorCategory: {
        "armed_group": ("Armed group", "Groupe armé"),
        "security_forces": ("Security or defence forces", "Forces de défense et de sécurité"),
        "criminal": ("Criminal", "Criminel"),
        "community_member": ("Community member", "Membre de la communauté"),
        "family_member": ("Family member", "Membre de la famille"),
        "unknown": ("Unknown", "Inconnu"),
        "other": ("Other", "Autre"),
    },
    PopulationGroup: {
        "refugee": ("Refugee", "Réfugié"),
        "asylum_seeker": ("Asylum seeker", "Demandeur d'asile"),
        "idp": ("Internally displaced person", "Personne déplacée interne"),
        "returned_idp": ("Returned IDP", "PDI retournée"),
        "returnee": ("Returnee", "Rapatrié"),
        "host_community": ("Host community", "Communauté hôte"),
        "other": ("Other", "Autre"),
    },
    GbvType: {
        "rape": ("Rape", "Viol"),
        "sexual_assault": ("Sexual assault", "Agression sexuelle"),
        "physical_assault": ("Physical assault", "Agression physique"),
        "forced_marriage": ("Forced marriage", "Mariage forcé"),
        "denial_of_resources": (
            "Denial of resources, opportunities or services",
            "Déni de ressources, d'opportunités ou de services",
        ),
        "psychological_abuse": (
            "Psychological or emotional abuse",
            "Violence psychologique ou émotionnelle",
        ),
    },
    Service: {
        "medical": ("Medical", "Médical"),
        "psychosocial": ("Psychosocial support", "Soutien psychosocial"),
        "legal": ("Legal assistance", "Assistance juridique"),
        "safety_security": ("Safety and security", "Sûreté et sécurité"),
        "livelihood": ("Livelihood", "Moyens de subsistance"),
        "shelter": ("Shelter", "Abri"),
        "documentation": ("Civil documentation", "Documentation civile"),
        "other": ("Other", "Autre"),
    },
    Concern: {
        "documentation": ("Documentation", "Documentation"),
        "medical": ("Medical", "Médical"),
        "financial_assistance": ("Financial assistance", "Assistance financière"),
        "income_generation": ("Income-generating activities", "Activités génératrices de revenus"),
        "education": ("Education", "Éducation"),
        "shelter": ("Shelter", "Abri"),
        "legal": ("Legal", "Juridique"),
        "security": ("Security", "Sécurité"),
        "family_reunification": ("Family reunification", "Regroupement familial"),
        "resettlement": ("Resettlement", "Réinstallation"),
        "repatriation": ("Voluntary repatriation", "Rapatriement volontaire"),
        "other": ("Other", "Autre"),
    },
    AcknowledgementBand: {
        "within_24h": ("Within 24 hours", "En moins de 24 heures"),
        "1_3_days": ("1 to 3 days", "1 à 3 jours"),
        "3_7_days": ("3 to 7 days", "3 à 7 jours"),
        "over_7_days": ("Over 7 days", "Plus de 7 jours"),
        "not_acknowledged": ("Not acknowledged", "Sans accusé de réception"),
    },
    Urgency: {
        "normal": ("Normal", "Normale"),
        "urgent": ("Urgent", "Urgente"),
    },
    IncidentStatus: {
        "submitted": ("Submitted", "Soumis"),
        "verified": ("Verified", "Vérifié"),
        "closed": ("Closed", "Clôturé"),
    },
    GbvimsAgeGroup: {
        "0-11": ("0 to 11", "0 à 11 ans"),
        "12-17": ("12 to 17", "12 à 17 ans"),
        "18-25": ("18 to 25", "18 à 25 ans"),
        "26-40": ("26 to 40", "26 à 40 ans"),
        "41-60": ("41 to 60", "41 à 60 ans"),
        "61+": ("61 and older", "61 ans et plus"),
        "unknown": ("Unknown", "Inconnu"),
    },
    GbvimsSex: {
        "female": ("Female", "Féminin"),
        "male": ("Male", "Masculin"),
    },
    PerpetratorSex: {
        "female": ("Female", "Féminin"),
        "male": ("Male", "Masculin"),
        "both": ("Female and male", "Féminin et masculin"),
        "unknown": ("Unknown", "Inconnu"),
    },
    DisplacementStatus: {
        "resident": ("Resident", "Résident"),
        "idp": ("Internally displaced person", "Personne déplacée interne"),
        "refugee": ("Refugee", "Réfugié(e)"),
        "asylum_seeker": ("Asylum seeker", "Demandeur(se) d'asile"),
        "returnee": ("Returnee", "Rapatrié(e)"),
        "foreign_national": ("Foreign national", "Ressortissant(e) étranger(ère)"),
        "stateless": ("Stateless", "Apatride"),
    },
    Disability: {
        "none": ("No disability", "Pas de handicap"),
        "physical": ("Physical disability", "Handicap physique"),
        "mental": ("Mental disability", "Handicap mental"),
        "physical_and_mental": ("Physical and mental disability", "Handicap physique et mental"),
    },
    GbvLocationType: {
        "bush_forest": ("Bush or forest", "Brousse ou forêt"),
        "field": ("Garden or cultivated field", "Jardin ou champ"),
        "school": ("School", "École"),
        "road": ("Road", "Route"),
        "survivor_home": ("Survivor's home", "Domicile de la survivante"),
        "perpetrator_home": ("Perpetrator's home", "Domicile de l'auteur"),
        "other_residence": ("Other residence", "Autre résidence"),
        "service_facility": ("Service provider's facility", "Structure de prestataire"),
        "market": ("Market or shop", "Marché ou boutique"),
        "street": ("Street", "Rue"),
        "workplace": ("Workplace", "Lieu de travail"),
        "detention": ("Place of detention", "Lieu de détention"),
        "displacement_site": ("Displacement site", "Site de déplacés"),
        "other": ("Other", "Autre"),
    },
    PerpetratorRelationship: {
        "intimate_partner": ("Intimate partner or former partner", "Partenaire intime ou ex"),
        "primary_caregiver": ("Primary caregiver", "Personne en charge principale"),
        "family_other": ("Family other than partner or caregiver", "Autre membre de la famille"),
        "supervisor_employer": ("Supervisor or employer", "Superviseur ou employeur"),
        "schoolmate": ("Schoolmate", "Camarade d'école"),
        "teacher": ("Teacher or school official", "Enseignant ou personnel scolaire"),
        "service_provider": ("Service provider", "Prestataire de services"),
        "cotenant": ("Cotenant or housemate", "Colocataire"),
        "friend_neighbour": ("Family friend or neighbour", "Ami de la famille ou voisin"),
        "other_displaced": ("Other refugee, IDP or returnee", "Autre réfugié, déplacé ou rapatrié"),
        "community_member": ("Other community member", "Autre membre de la communauté"),
        "armed_actor": (
            "Member of an armed force or group",
            "Membre d'une force ou d'un groupe armé",
        ),
        "no_relation": ("No relation", "Aucune relation"),
        "other": ("Other", "Autre"),
        "unknown": ("Unknown", "Inconnue"),
    },
    PreviouslyReported: {
        "no": ("No", "Non"),
        "gbvims_agency": ("Yes, to a GBVIMS agency", "Oui, à une agence GBVIMS"),
        "other_agency": ("Yes, to another agency", "Oui, à une autre agence"),
    },
    HarmfulPractice: {
        "none": ("No", "Non"),
        "fgm": ("Female genital mutilation", "Mutilation génitale féminine"),
        "early_marriage": ("Early marriage", "Mariage précoce"),
        "forced_marriage": ("Forced marriage", "Mariage forcé"),
        "honour_crime": ("So-called honour crime", "Crime dit d'honneur"),
        "other": ("Other harmful practice", "Autre pratique néfaste"),
    },
    Abduction: {
        "none": ("None", "Aucun"),
        "forced_conscription": ("Forced conscription", "Enrôlement forcé"),
        "trafficked": ("Trafficked", "Traite"),
        "other": ("Other abduction or kidnapping", "Autre enlèvement"),
    },
    Sex: {
        "female": ("Female", "Féminin"),
        "male": ("Male", "Masculin"),
        "other": ("Other", "Autre"),
        "unknown": ("Unknown", "Inconnu"),
    },
    ConsentPurpose: {
        "services": ("Referral to services", "Référence vers des services"),
        "data_sharing": ("Data sharing", "Partage de données"),
        "reporting": ("Anonymous statistics", "Statistiques anonymes"),
    },
    ConsentGivenBy: {
        "survivor": ("Survivor", "Survivant(e)"),
        "person": ("The person", "La personne"),
        "caregiver": ("Caregiver", "Personne en charge"),
        "guardian": ("Legal guardian", "Tuteur légal"),
    },
    ReferralStatus: {
        "draft": ("Draft", "Brouillon"),
        "sent": ("Sent", "Envoyée"),
        "acknowledged": ("Acknowledged", "Accusé de réception"),
        "accepted": ("Accepted", "Acceptée"),
        "declined": ("Declined", "Refusée"),
        "in_progress": ("In progress", "En cours"),
        "completed": ("Completed", "Terminée"),
        "cancelled": ("Cancelled", "Annulée"),
        "on_hold": ("On hold (consent withdrawn)", "En attente (consentement retiré)"),
    },
    AttachmentKind: {
        "consent_form": ("Signed consent form", "Formulaire de consentement signé"),
        "identity_document": ("Identity document", "Pièce d'identité"),
        "repatriation_form": ("Signed repatriation form", "Formulaire de rapatriement signé"),
        "medical": ("Medical document", "Document médical"),
        "other": ("Other", "Autre"),
    },
    ReferralKind: {
        "incident": ("From an incident", "À partir d'un incident"),
        "person": ("Person of concern", "Personne relevant de la compétence"),
        "sgbv": ("SGBV case", "Cas de VBG"),
    },
    TaskKind: {
        "follow_up": ("Follow-up", "Suivi"),
        "review": ("Review", "Revue"),
        "referral_follow_up": ("Referral follow-up", "Suivi de référencement"),
        "other": ("Other", "Autre"),
    },
    TaskStatus: {
        "open": ("Open", "Ouverte"),
        "done": ("Done", "Terminée"),
        "cancelled": ("Cancelled", "Annulée"),
    },
    Language: {
        "fr": ("French", "Français"),
        "en": ("English", "Anglais"),
    },
    AgeGroup: {
        "0-4": ("0 to 4 years", "0 à 4 ans"),
        "5-11": ("5 to 11 years", "5 à 11 ans"),
        "12-17": ("12 to 17 years", "12 à 17 ans"),
        "18-59": ("18 to 59 years", "18 à 59 ans"),
        "60+": ("60 years and over", "60 ans et plus"),
    },
    RepatriationStatus: {
        "registered": ("Registered", "Enregistré"),
        "counselled": ("Counselled", "Conseillé"),
        "voluntariness_verified": ("Voluntariness verified", "Caractère volontaire vérifié"),
        "documents_ready": ("Documents ready", "Documents prêts"),
        "departed": ("Departed", "Parti"),
        "arrived": ("Arrived", "Arrivé"),
        "withdrawn": ("Withdrawn", "Retiré"),
        "suspended": ("Suspended", "Suspendu"),
    },
    CaseStatus: {
        "open": ("Open", "Ouvert"),
        "closed": ("Closed", "Clôturé"),
    },
    SgbvCaseStatus: {
        "open": ("Open", "Ouvert"),
        "closure_requested": ("Closure requested", "Clôture demandée"),
        "closed": ("Closed", "Clôturé"),
    },
    CaseEventKind: {
        "created": ("Created", "Créé"),
        "status": ("Status changed", "Statut modifié"),
        "assigned": ("Assigned", "Assigné"),
        "transfer_requested": ("Transfer requested", "Transfert demandé"),
        "transferred": ("Transferred", "Transféré"),
        "transfer_rejected": ("Transfer rejected", "Transfert refusé"),
        "transfer_cancelled": ("Transfer cancelled", "Transfert annulé"),
        "merged_into": ("Merged into another person", "Fusionné dans une autre personne"),
        "merged_from": ("Duplicate merged in", "Doublon fusionné"),
    },
    TransferStatus: {
        "pending": ("Pending", "En attente"),
        "accepted": ("Accepted", "Accepté"),
        "rejected": ("Rejected", "Refusé"),
        "cancelled": ("Cancelled", "Annulé"),
    },
    Role: {
        "admin": ("Administrator", "Administrateur"),
        "supervisor": ("Supervisor", "Superviseur"),
        "monitor": ("Protection monitor", "Moniteur de protection"),
        "caseworker": ("Caseworker", "Gestionnaire de cas"),
        "gbv_caseworker": ("GBV caseworker", "Gestionnaire de cas VBG"),
        "actor_focal_point": ("Referral actor focal point", "Point focal d'acteur de référence"),
        "reporting": ("Reporting tool", "Outil de rapportage"),
    },
}

# Name under which each vocabulary appears in GET /reference.
VOCABULARY_NAMES: dict[str, type[StrEnum]] = {
    "incident_type": IncidentType,
    "perpetrator_category": PerpetratorCategory,
    "population_group": PopulationGroup,
    "gbv_type": GbvType,
    "gbvims_age_group": GbvimsAgeGroup,
    "gbvims_sex": GbvimsSex,
    "perpetrator_sex": PerpetratorSex,
    "displacement_status": DisplacementStatus,
    "disability": Disability,
    "gbv_location_type": GbvLocationType,
    "perpetrator_relationship": PerpetratorRelationship,
    "previously_reported": PreviouslyReported,
    "harmful_practice": HarmfulPractice,
    "abduction": Abduction,
    "service": Service,
    "concern": Concern,
    "urgency": Urgency,
    "incident_status": IncidentStatus,
    "sex": Sex,
    "consent_purpose": ConsentPurpose,
    "consent_given_by": ConsentGivenBy,
    "referral_status": ReferralStatus,
    "referral_kind": ReferralKind,
    "acknowledgement_band": AcknowledgementBand,
    "attachment_kind": AttachmentKind,
    "task_kind": TaskKind,
    "task_status": TaskStatus,
    "language": Language,
    "age_group": AgeGroup,
    "repatriation_status": RepatriationStatus,
    "case_status": CaseStatus,
    "sgbv_case_status": SgbvCaseStatus,
    "case_event": CaseEventKind,
    "transfer_status": TransferStatus,
    "role": Role,
}
