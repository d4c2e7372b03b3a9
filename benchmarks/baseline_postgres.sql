-- examples/b2b_saas/model.score written by hand as one PostgreSQL query: the yardstick of
-- scoredsl's --engine pushdown. The PostgreSQL port of baseline_duckdb.sql. Run it with psql
-- (benchmarks/pushdown.py does), which sets
--   :schema          the schema holding the tables contacts and events, as scoredsl's SQL source
--                    reads them (CSV columns typed by the schema: bigint, double precision,
--                    boolean, date, timestamptz; text as written)
--   :as_of           '2026-11-01T00:00:00Z' (also the as_of column, written as given)
--   :model_version   the model's hash, as scoredsl prints it
-- and writes the result, COPY'd to its standard output, to a file:
--
--   psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname postgresql://postgres@127.0.0.1/test \
--        --set schema=bench_c10000_e20_s1 --set as_of=2026-11-01T00:00:00Z \
--        --set model_version=f654fdac970c --file benchmarks/baseline_postgres.sql --output OUT.csv
--
-- Semantics as in docs/language.md: text tests compare lower(); a missing value (NULL, or
-- text made only of spaces) never matches; a rule applies only when its condition is true,
-- which SQL's three-valued logic gives for free (FILTER and CASE WHEN skip NULL).
--
-- Where PostgreSQL differs from DuckDB:
-- * JIT is off (below); the CTEs of rules and scores are MATERIALIZED, edges NOT MATERIALIZED;
-- * windows are `as_of - INTERVAL 'n days'`, which is n * 24 hours only in a zone without
--   daylight saving time: the session runs in UTC;
-- * `/` of integers truncates: the decay rounds half up as (raw * percent + 50) / 100 (raw > 0);
-- * the model's regexes are RE2's, whose \b is a word boundary of ASCII [0-9A-Za-z_] (in
--   PostgreSQL \b is a backspace, and \y knows the locale's letters): written out as a
--   non-word character or the end of the text on either side, matched without case by ~*;
-- * no ends_with() and contains(): right() and strpos().

SET TIME ZONE 'UTC';
-- The planner cannot estimate the trimmed ids (nor how many contacts have events), overrates the
-- query, and JIT-compiles it: 11 s of compiling on 10,000 contacts, for a query that takes well
-- under a second without. scoredsl's pushdown turns JIT off for its own queries too.
SET jit = off;
SET search_path TO :"schema";

COPY (
    WITH
    contacts AS (
        SELECT id AS source_id, trim(id) AS id,
               email, lower(email) AS email_l, lower(company) AS company_l, job_title,
               lower(industry) AS industry_l, lower(country) AS country_l, phone,
               lower(persona) AS persona_l, lower(original_source) AS source_l,
               lower(referrer) AS referrer_l, lower(company_type) AS company_type_l,
               lower(lifecycle_stage) AS lifecycle_l, lower(sales_feedback) AS feedback_l,
               employees, annual_revenue, open_deals, email_opt_out
        FROM contacts
    ),

    events AS (
        SELECT trim(contact_id) AS contact_id, trim(type) AS type, "timestamp" AS ts, newsletter,
               lower(url) AS url, lower(form) AS form
        FROM events
        WHERE "timestamp" <= CAST(:'as_of' AS timestamptz)      -- later events never count
    ),

    -- the edges of the model's windows; NOT MATERIALIZED: read twice, PostgreSQL would compute it
    -- once and scan the result, and such a scan keeps the aggregation below out of parallel workers
    edges AS NOT MATERIALIZED (
        SELECT as_of, as_of - INTERVAL '30 days' AS d30, as_of - INTERVAL '60 days' AS d60,
               as_of - INTERVAL '90 days' AS d90, as_of - INTERVAL '180 days' AS d180
        FROM (SELECT CAST(:'as_of' AS timestamptz) AS as_of) AS t
    ),

    -- every event aggregate the model uses, one row per contact with events
    activity AS (
        SELECT contact_id,
            count(*) FILTER (WHERE type = 'email_sent' AND ts >= d90)                  AS sent_90d,
            count(*) FILTER (WHERE type = 'email_sent' AND ts >= d180)                 AS sent_180d,
            count(*) FILTER (WHERE type = 'email_open' AND ts >= d90)                  AS opens_90d,
            count(*) FILTER (WHERE type = 'email_open' AND ts >= d180)                 AS opens_180d,
            count(*) FILTER (WHERE type = 'email_open' AND NOT newsletter)             AS campaign_opens,
            count(*) FILTER (WHERE type = 'email_open' AND newsletter AND ts >= d90)   AS newsletter_opens_90d,
            count(*) FILTER (WHERE type = 'email_click' AND ts >= d90)                 AS clicks_90d,
            max(ts)  FILTER (WHERE type = 'email_click')                               AS last_click,
            count(*) FILTER (WHERE type = 'email_bounce')                              AS bounces,
            count(*) FILTER (WHERE type = 'page_view')                                 AS views,
            count(*) FILTER (WHERE type = 'page_view' AND ts >= d90)                   AS views_90d,
            count(*) FILTER (WHERE type = 'page_view' AND ts >= d60
                             AND url IN ('/pricing', '/demo', '/contact', '/customers')) AS high_value_60d,
            count(*) FILTER (WHERE type = 'page_view' AND ts >= d60 AND url = '/pricing') AS pricing_60d,
            count(*) FILTER (WHERE type = 'page_view' AND ts >= d90
                             AND starts_with(url, '/blog/'))                           AS blog_90d,
            count(*) FILTER (WHERE type = 'page_view' AND starts_with(url, '/careers')) AS careers_views,
            count(*) FILTER (WHERE type = 'cta_click' AND ts >= d90)                   AS cta_90d,
            count(*) FILTER (WHERE type = 'webinar_registration' AND ts >= d180)       AS webinars_180d,
            count(*) FILTER (WHERE type = 'social_interaction' AND ts >= d90)          AS social_90d,
            count(*) FILTER (WHERE type = 'form_submit' AND form = 'demo-request')     AS demo_forms,
            count(*) FILTER (WHERE type = 'form_submit' AND form = 'demo-request' AND ts >= d30) AS demo_forms_30d,
            count(*) FILTER (WHERE type = 'form_submit' AND form IN ('contact-sales', 'free-trial')) AS bottom_forms,
            count(*) FILTER (WHERE type = 'form_submit'
                             AND form IN ('case-study', 'roi-calculator', 'webinar-replay')) AS mid_forms,
            count(*) FILTER (WHERE type = 'form_submit' AND form IN ('whitepaper', 'ebook')) AS content_forms,
            count(*) FILTER (WHERE type = 'form_submit'
                             AND form IN ('newsletter-signup', 'checklist', 'blog-subscribe')) AS top_forms,
            max(ts) FILTER (WHERE type IN ('email_open', 'email_click', 'page_view', 'cta_click', 'form_submit',
                                           'webinar_registration', 'social_interaction')) AS last_activity
        FROM events CROSS JOIN edges
        GROUP BY contact_id
    ),

    -- MATERIALIZED (here and for scores): inlined, every use of fit and engagement below would
    -- evaluate their whole expressions again, the regexes included (ten copies of fit per contact)
    rules AS MATERIALIZED (
        SELECT c.source_id, c.id,
            CASE
                WHEN c.lifecycle_l IN ('customer', 'evangelist') THEN 'customer'
                WHEN c.lifecycle_l = 'opportunity' OR c.open_deals > 0 THEN 'open_opportunity'
                WHEN right(c.email_l, 9) = '@acme.com' THEN 'employee'
                WHEN c.company_type_l = 'partner' THEN 'partner'
            END AS reason,
            -- fit: no cap, so every rule simply adds up
              CASE WHEN c.job_title ~* '(^|[^0-9A-Za-z_])'
                                       '(chief|ceo|cto|cmo|cro|cfo|coo|vp|vice president|director|head)'
                                       '([^0-9A-Za-z_]|$)' THEN 20
                   WHEN c.job_title ~* '(^|[^0-9A-Za-z_])(manager|lead)([^0-9A-Za-z_]|$)' THEN 10 ELSE 0 END
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
            + CASE WHEN strpos(c.referrer_l, 'partners.acme.com') > 0 THEN 15 ELSE 0 END
            -- red flags
            + CASE WHEN c.persona_l = 'job seeker'
                        OR c.job_title ~* '(^|[^0-9A-Za-z_])(job seeker|open to work|looking for)'
                                          '([^0-9A-Za-z_]|$)'
                   THEN -100 ELSE 0 END
            + CASE WHEN c.persona_l = 'student' OR right(c.email_l, 4) = '.edu'
                        OR c.job_title ~* '(^|[^0-9A-Za-z_])student([^0-9A-Za-z_]|$)' THEN -50 ELSE 0 END
            + CASE WHEN c.company_l = 'acme' THEN -200 ELSE 0 END
            + CASE WHEN c.company_type_l = 'competitor'
                        OR c.email ~* '@(rivalytics|leadlens|scorehub)\.(com|io)$'
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

    scores AS MATERIALIZED (
        SELECT source_id, id, reason, fit, top_industry, recent_demo,
               -- the score's own cap, then decay of a positive value, rounded half up
               CASE WHEN raw > 0 THEN (raw * keep_percent + 50) / 100 ELSE raw END AS engagement
        FROM (SELECT *, least(200, greatest(emails, 0) + greatest(web, 0) + social + forms)
                        + least(emails, 0) + least(web, 0) AS raw
              FROM rules) AS r
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
           :'model_version' AS model_version,
           :'as_of' AS as_of
    FROM scores
    ORDER BY source_id      -- scoredsl reads a table's contacts in the order of its id column
) TO STDOUT WITH (FORMAT csv, HEADER);
