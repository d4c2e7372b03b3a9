-- examples/b2b_saas/model.score written by hand as one DuckDB query: the yardstick of
-- scoredsl's DuckDB backend. Run it with benchmarks/baseline_duckdb.py, which sets
--   getvariable('contacts_path'), getvariable('events_path')   the CSV files
--   getvariable('as_of')           '2026-11-01T00:00:00Z' (also the as_of column)
--   getvariable('model_version')   the model's hash, as scoredsl prints it
-- and replaces __OUT__ with the result file (COPY cannot take its target from a variable).
-- The session time zone must be UTC: windows are `as_of - INTERVAL n DAYS`.
--
-- Semantics as in docs/language.md: text tests compare lower(); a missing value (NULL, or
-- text made only of spaces) never matches; a rule applies only when its condition is true,
-- which SQL's three-valued logic gives for free (FILTER and CASE WHEN skip NULL).

COPY (
    WITH
    contacts AS (
        SELECT trim(id) AS id,
               email, lower(email) AS email_l, lower(company) AS company_l, job_title,
               lower(industry) AS industry_l, lower(country) AS country_l, phone,
               lower(persona) AS persona_l, lower(original_source) AS source_l,
               lower(referrer) AS referrer_l, lower(company_type) AS company_type_l,
               lower(lifecycle_stage) AS lifecycle_l, lower(sales_feedback) AS feedback_l,
               -- CRM exports have cells of spaces in numeric columns too: missing, like empty ones
               CAST(nullif(trim(employees), '') AS BIGINT) AS employees,
               CAST(nullif(trim(annual_revenue), '') AS DOUBLE) AS annual_revenue,
               CAST(nullif(trim(open_deals), '') AS BIGINT) AS open_deals,
               CAST(nullif(trim(email_opt_out), '') AS BOOLEAN) AS email_opt_out
        FROM read_csv(getvariable('contacts_path'), header = true, auto_detect = false, columns = {
            'id': 'VARCHAR', 'email': 'VARCHAR', 'company': 'VARCHAR', 'job_title': 'VARCHAR',
            'industry': 'VARCHAR', 'employees': 'VARCHAR', 'annual_revenue': 'VARCHAR',
            'country': 'VARCHAR', 'phone': 'VARCHAR', 'persona': 'VARCHAR',
            'original_source': 'VARCHAR', 'referrer': 'VARCHAR', 'company_type': 'VARCHAR',
            'lifecycle_stage': 'VARCHAR', 'open_deals': 'VARCHAR', 'email_opt_out': 'VARCHAR',
            'sales_feedback': 'VARCHAR', 'created': 'VARCHAR'})
    ),

    events AS (
        SELECT trim(contact_id) AS contact_id, trim(type) AS type, "timestamp" AS ts, newsletter,
               lower(url) AS url, lower(form) AS form
        FROM read_csv(getvariable('events_path'), header = true, auto_detect = false, columns = {
            'contact_id': 'VARCHAR', 'type': 'VARCHAR', 'timestamp': 'TIMESTAMPTZ',
            'campaign': 'VARCHAR', 'newsletter': 'BOOLEAN', 'url': 'VARCHAR', 'cta': 'VARCHAR',
            'form': 'VARCHAR', 'webinar': 'VARCHAR', 'network': 'VARCHAR'})
        WHERE "timestamp" <= getvariable('as_of')::TIMESTAMPTZ      -- later events never count
    ),

    -- the edges of the model's windows
    edges AS (
        SELECT as_of, as_of - INTERVAL 30 DAYS AS d30, as_of - INTERVAL 60 DAYS AS d60,
               as_of - INTERVAL 90 DAYS AS d90, as_of - INTERVAL 180 DAYS AS d180
        FROM (SELECT getvariable('as_of')::TIMESTAMPTZ AS as_of)
    ),

    -- every event aggregate the model uses, one row per contact with events
    activity AS (
        SELECT contact_id,
            count(*) FILTER (type = 'email_sent' AND ts >= d90)                        AS sent_90d,
            count(*) FILTER (type = 'email_sent' AND ts >= d180)                       AS sent_180d,
            count(*) FILTER (type = 'email_open' AND ts >= d90)                        AS opens_90d,
            count(*) FILTER (type = 'email_open' AND ts >= d180)                       AS opens_180d,
            count(*) FILTER (type = 'email_open' AND NOT newsletter)                   AS campaign_opens,
            count(*) FILTER (type = 'email_open' AND newsletter AND ts >= d90)         AS newsletter_opens_90d,
            count(*) FILTER (type = 'email_click' AND ts >= d90)                       AS clicks_90d,
            max(ts)  FILTER (type = 'email_click')                                     AS last_click,
            count(*) FILTER (type = 'email_bounce')                                    AS bounces,
            count(*) FILTER (type = 'page_view')                                       AS views,
            count(*) FILTER (type = 'page_view' AND ts >= d90)                         AS views_90d,
            count(*) FILTER (type = 'page_view' AND ts >= d60
                             AND url IN ('/pricing', '/demo', '/contact', '/customers')) AS high_value_60d,
            count(*) FILTER (type = 'page_view' AND ts >= d60 AND url = '/pricing')    AS pricing_60d,
            count(*) FILTER (type = 'page_view' AND ts >= d90
                             AND starts_with(url, '/blog/'))                           AS blog_90d,
            count(*) FILTER (type = 'page_view' AND starts_with(url, '/careers'))      AS careers_views,
            count(*) FILTER (type = 'cta_click' AND ts >= d90)                         AS cta_90d,
            count(*) FILTER (type = 'webinar_registration' AND ts >= d180)             AS webinars_180d,
            count(*) FILTER (type = 'social_interaction' AND ts >= d90)                AS social_90d,
            count(*) FILTER (type = 'form_submit' AND form = 'demo-request')           AS demo_forms,
            count(*) FILTER (type = 'form_submit' AND form = 'demo-request' AND ts >= d30) AS demo_forms_30d,
            count(*) FILTER (type = 'form_submit' AND form IN ('contact-sales', 'free-trial')) AS bottom_forms,
            count(*) FILTER (type = 'form_submit'
                             AND form IN ('case-study', 'roi-calculator', 'webinar-replay')) AS mid_forms,
            count(*) FILTER (type = 'form_submit' AND form IN ('whitepaper', 'ebook'))   AS content_forms,
            count(*) FILTER (type = 'form_submit'
                             AND form IN ('newsletter-signup', 'checklist', 'blog-subscribe')) AS top_forms,
            max(ts) FILTER (type IN ('email_open', 'email_click', 'page_view', 'cta_click', 'form_submit',
                                     'webinar_registration', 'social_interaction'))  AS last_activity
        FROM events CROSS JOIN edges
        GROUP BY contact_id
    ),

    rules AS (
        SELECT c.id,
            CASE
                WHEN c.lifecycle_l IN ('customer', 'evangelist') THEN 'customer'
                WHEN c.lifecycle_l = 'opportunity' OR c.open_deals > 0 THEN 'open_opportunity'
                WHEN ends_with(c.email_l, '@acme.com') THEN 'employee'
                WHEN c.company_type_l = 'partner' THEN 'partner'
            END AS reason,
            -- fit: no cap, so every rule simply adds up
              CASE WHEN regexp_matches(c.job_title, '\b(chief|ceo|cto|cmo|cro|cfo|coo|vp|vice president|director|head)\b', 'i') THEN 20
                   WHEN regexp_matches(c.job_title, '\b(manager|lead)\b', 'i') THEN 10 ELSE 0 END
            + CASE WHEN c.industry_l IN ('software', 'saas') THEN 15
                   WHEN c.industry_l IN ('fintech', 'ecommerce', 'marketing services') THEN 8
                   WHEN c.industry_l IN ('education', 'government', 'non-profit') THEN -5 ELSE 0 END
            + CASE WHEN c.employees < 10 THEN -15 WHEN c.employees <= 49 THEN 3 WHEN c.employees <= 199 THEN 8
                   WHEN c.employees <= 999 THEN 15 WHEN c.employees >= 1000 THEN 10 ELSE 0 END
            + CASE WHEN c.annual_revenue < 1000000 THEN -10 WHEN c.annual_revenue <= 50000000 THEN 5
                   WHEN c.annual_revenue > 50000000 THEN 10 ELSE 0 END
            + CASE WHEN c.country_l IN ('united states', 'usa', 'canada') THEN 10
                   WHEN c.country_l IN ('united kingdom', 'germany', 'france', 'netherlands', 'ireland') THEN 5
                   ELSE 0 END
            + CASE c.persona_l WHEN 'decision maker' THEN 15 WHEN 'evaluator' THEN 10
                   WHEN 'practitioner' THEN 5 ELSE 0 END
            + CASE WHEN trim(c.phone) <> '' THEN 5 ELSE 0 END
            + CASE WHEN c.source_l = 'direct traffic' THEN 5 ELSE 0 END
            + CASE WHEN contains(c.referrer_l, 'partners.acme.com') THEN 15 ELSE 0 END
            -- red flags
            + CASE WHEN c.persona_l = 'job seeker'
                        OR regexp_matches(c.job_title, '\b(job seeker|open to work|looking for)\b', 'i')
                   THEN -100 ELSE 0 END
            + CASE WHEN c.persona_l = 'student' OR ends_with(c.email_l, '.edu')
                        OR regexp_matches(c.job_title, '\bstudent\b', 'i') THEN -50 ELSE 0 END
            + CASE WHEN c.company_l = 'acme' THEN -200 ELSE 0 END
            + CASE WHEN c.company_type_l = 'competitor'
                        OR regexp_matches(c.email, '@(rivalytics|leadlens|scorehub)\.(com|io)$', 'i')
                   THEN -100 ELSE 0 END
            + CASE WHEN c.company_type_l = 'supplier' THEN -50 ELSE 0 END
            + CASE WHEN c.persona_l = 'agency / partner' THEN -30 ELSE 0 END
            + CASE c.feedback_l WHEN 'unqualified' THEN -100 WHEN 'not ready' THEN -30 ELSE 0 END
            AS fit,
            -- engagement groups: min(cap, positive rules) + negative rules
            least(40, CASE WHEN a.campaign_opens > 0 THEN 10 ELSE 0 END
                      + least(5 * coalesce(a.newsletter_opens_90d, 0), 10)
                      + least(20 * coalesce(a.clicks_90d, 0), 40))
            - CASE WHEN a.bounces > 0 THEN 90 ELSE 0 END
            - CASE WHEN a.sent_90d >= 3 AND a.opens_90d = 0 THEN 20 ELSE 0 END
            - CASE WHEN a.sent_180d > 0 AND a.opens_180d = 0 THEN 10 ELSE 0 END
            - CASE WHEN a.last_click < e.d90 THEN 5 ELSE 0 END
            - CASE WHEN c.email_opt_out THEN 25 ELSE 0 END
            AS emails,
            least(40, least(5 * coalesce(a.high_value_60d, 0), 20)
                      + CASE WHEN a.pricing_60d >= 3 THEN 15 ELSE 0 END
                      + CASE WHEN a.views_90d BETWEEN 2 AND 5 THEN 3 WHEN a.views_90d >= 6 THEN 6 ELSE 0 END
                      + least(coalesce(a.blog_90d, 0), 5)
                      + least(5 * coalesce(a.cta_90d, 0), 15))
            - CASE WHEN coalesce(a.views, 0) = 0 THEN 10 ELSE 0 END
            - CASE WHEN a.careers_views > 0 THEN 30 ELSE 0 END
            AS web,
            least(40, least(20 * coalesce(a.webinars_180d, 0), 40) + least(3 * coalesce(a.social_90d, 0), 15))
            AS social,
            least(100, CASE WHEN a.demo_forms > 0 THEN 70 ELSE 0 END
                       + CASE WHEN a.bottom_forms > 0 THEN 50 ELSE 0 END
                       + least(20 * coalesce(a.mid_forms, 0), 40)
                       + least(10 * coalesce(a.content_forms, 0), 20)
                       + least(5 * coalesce(a.top_forms, 0), 15))
            AS forms,
            -- inactivity decay: the last step reached; no activity at all is the last step
            CASE WHEN a.last_activity IS NULL OR a.last_activity <= e.d180 THEN 25
                 WHEN a.last_activity <= e.d90 THEN 50
                 WHEN a.last_activity <= e.d30 THEN 75
                 ELSE 100 END
            AS keep_percent,
            c.industry_l IN ('software', 'saas') AS top_industry,
            a.demo_forms_30d > 0 AS recent_demo
        FROM contacts AS c
        CROSS JOIN edges AS e
        LEFT JOIN activity AS a ON a.contact_id = c.id
    ),

    scores AS (
        SELECT id, reason, fit, top_industry, recent_demo,
               -- the score's own cap, then decay of a positive value, rounded half up
               CASE WHEN raw > 0 THEN CAST(floor(raw * keep_percent / 100 + 0.5) AS INTEGER)
                    ELSE raw END AS engagement
        FROM (SELECT *, least(200, greatest(emails, 0) + greatest(web, 0) + social + forms)
                        + least(emails, 0) + least(web, 0) AS raw
              FROM rules)
    )

    SELECT id AS contact_id,
           'b2b' AS model,
           CASE WHEN reason IS NULL THEN 'scored' ELSE 'disqualified' END AS status,
           reason,
           CASE WHEN reason IS NULL THEN fit END AS fit,
           CASE WHEN reason IS NULL THEN engagement END AS engagement,
           CASE WHEN reason IS NOT NULL THEN NULL
                WHEN fit + engagement >= 200 THEN 'sql' WHEN fit + engagement >= 100 THEN 'mql'
                ELSE 'lead' END AS lifecycle,
           CASE WHEN reason IS NOT NULL THEN NULL
                WHEN engagement >= 100 THEN 'high' WHEN engagement >= 40 THEN 'medium' ELSE 'low' END AS heat,
           CASE WHEN reason IS NOT NULL THEN NULL
                WHEN fit >= 60 THEN 'A' WHEN fit >= 30 THEN 'B' WHEN fit >= 10 THEN 'C' WHEN fit >= 0 THEN 'D'
                ELSE 'F' END AS grade,
           CASE WHEN reason IS NOT NULL THEN NULL
                ELSE CASE WHEN fit >= 60 THEN 'A' WHEN fit >= 30 THEN 'B' ELSE 'C' END
                     || CASE WHEN engagement >= 100 THEN '1' WHEN engagement >= 40 THEN '2' ELSE '3' END
           END AS priority,
           CASE WHEN reason IS NOT NULL THEN NULL
                WHEN top_industry AND fit >= 0 AND recent_demo THEN 'route_to_sales' ELSE 'nurture' END AS handoff,
           getvariable('model_version') AS model_version,
           getvariable('as_of') AS as_of
    FROM scores
    ORDER BY id          -- the contacts file is sorted by id: this is its order
) TO '__OUT__' (HEADER, DELIMITER ',');
