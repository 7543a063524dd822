from __future__ import annotations

from fastapi import Depends

from casework.auth.principal import ANY_ROLE, allow
from casework.core.config import get_settings
from casework.core.errors import problem_responses
from casework.core.routing import api_router
from casework.reference.codesets import code_sets, get_code_set
from casework.reference.schemas import Admin2Read, ReferenceRead, RegionRead, Term
from casework.reference.vocabularies import LABELS, VOCABULARY_NAMES

router = api_router(prefix="/api/v1", tags=["reference"])


@router.get(
    "/reference",
    response_model=ReferenceRead,
    responses=problem_responses(401),
    dependencies=[Depends(allow(*ANY_ROLE))],
    summary="Every vocabulary (codes with English and French labels) and the regions by P-code",
)
def read_reference() -> ReferenceRead:
    code_set = get_code_set(get_settings().code_set)
    return ReferenceRead(
        code_set=code_set.name,
        code_sets=sorted(code_sets()),
        regions=[
            RegionRead(
                pcode=region.pcode,
                name_en=region.name_en,
                name_fr=region.name_fr,
                admin2=[Admin2Read(pcode=a.pcode, name=a.name) for a in region.admin2],
            )
            for region in code_set.regions.values()
        ],
        vocabularies={
            name: [
                Term(
                    code=member.value,
                    en=LABELS[enum][member.value][0],
                    fr=LABELS[enum][member.value][1],
                )
                for member in enum
            ]
            for name, enum in VOCABULARY_NAMES.items()
        },
    )
