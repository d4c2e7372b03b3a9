"""The small model, its changed version and the data that both diff test modules use."""

SCHEMA = """schema {
  contact { title: text, employees: int, stage: text }
  event visit { url: text }
  event form { name: text }
}
"""
MODEL_BODY = r"""model m {
  disqualify customer: stage == "customer"
  score fit {
    rule vp:   title matches /\bvp\b/ => +20
    rule size: employees { < 10 => -5; 10..99 => +5; >= 100 => +10 }
  }
  score engagement max 50 {
    group web max 20 {
      rule visits: each visit => +5 max 30
    }
    rule demo: each form where name == "demo" => +40 once
  }
  tier lifecycle by fit + engagement { sql: >= 50; mql: >= 25; lead: otherwise }
}
"""


def changed(model: str) -> str:
    """The model with its points, a band, a cap, a threshold and a disqualifier changed."""
    return (model.replace("=> +20", "=> +25").replace("10..99 => +5", "10..99 => +8")
            .replace("group web max 20", "group web max 25").replace("sql: >= 50", "sql: >= 45")
            .replace('  disqualify customer: stage == "customer"\n',
                     '  disqualify customer: stage == "customer"\n  disqualify competitor: stage == "competitor"\n'))
CONTACTS = """id,title,employees,stage
c1,VP Sales,150,lead
c2,Engineer,50,lead
c3,vp marketing,20,competitor
c4,VP,5,lead
c5,CEO,500,customer
c6,,,lead
"""


def events() -> str:
    rows = ["contact_id,type,timestamp,url,name"]
    for contact, visits in (("c1", 5), ("c2", 3), ("c3", 2), ("c4", 6)):
        rows += [f"{contact},visit,2026-10-2{i}T10:00:00Z,/p{i}," for i in range(visits)]
    rows.append("c1,form,2026-10-25T10:00:00Z,,demo")
    return "\n".join(rows) + "\n"
