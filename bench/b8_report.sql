-- The SQL that `grille-server report` (all parts) runs for one épreuve, for the sqlite3 CLI: the
-- statements of Sources/Server/Report+Queries.swift (EpreuveQuery: candidateCounts, signedFinals,
-- criteria, notes, the two profile statements) and ReportBuilder.deviceLines, in that order.
-- bench/b8-report.sh prepends the `.parameter set` lines (?1 template, ?2 session, ?3 grid prefix,
-- ?4 alternative blocks, ?5 required criteria by option, ?6… scale codes) printed by
-- `grille-bench report-params`. Keep in step with those files.

-- candidateCounts
WITH reg AS (
    SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
           substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
    FROM state
    WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
),
enrolled AS (
    SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
    FROM reg
    JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
    JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
    JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
),
cand AS (
    SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
        (SELECT json_extract(value, '$') FROM state
         WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
    FROM enrolled e
),
finals AS (
    SELECT candidate, establishment, final AS entity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
    FROM cand
    WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
)
SELECT establishment, count(*),
    count(*) FILTER (WHERE conformity = 'conforming'),
    count(*) FILTER (WHERE conformity IS NOT NULL AND conformity NOT IN ('conforming', 'absent')),
    count(*) FILTER (WHERE conformity = 'absent' OR (coalesce(conformity, 'conforming') = 'conforming' AND final_status = 'absent')),
    count(*) FILTER (WHERE conformity IS NULL),
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM state WHERE entity >= ?3 || candidate || '/' AND entity < ?3 || candidate || '0'))
FROM cand GROUP BY establishment;

-- signedFinals (its own parameters: the grid prefix and its upper bound)
SELECT DISTINCT entity FROM state
WHERE entity >= ?3 AND entity < substr(?3, 1, length(?3) - 1) || '0' AND field >= 'signature/' AND field < 'signature0' AND value <> 'null';

-- criteria
WITH reg AS (
    SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
           substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
    FROM state
    WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
),
enrolled AS (
    SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
    FROM reg
    JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
    JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
    JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
),
cand AS (
    SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
        (SELECT json_extract(value, '$') FROM state
         WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
    FROM enrolled e
),
finals AS (
    SELECT candidate, establishment, final AS entity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
    FROM cand
    WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
)
SELECT f.establishment, substr(l.field, 7), json_extract(l.value, '$'), count(*)
FROM finals f JOIN state l ON l.entity = f.entity AND l.field >= 'level/' AND l.field < 'level0'
WHERE l.value <> 'null' AND (substr(l.field, 7, instr(l.field, '.') - 7) NOT IN (SELECT value FROM json_each(?4)) OR substr(l.field, 7, instr(l.field, '.') - 7) = f.option)
GROUP BY 1, 2, 3;

-- notes
WITH reg AS (
    SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
           substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
    FROM state
    WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
),
enrolled AS (
    SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
    FROM reg
    JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
    JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
    JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
),
cand AS (
    SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
        (SELECT json_extract(value, '$') FROM state
         WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
    FROM enrolled e
),
finals AS (
    SELECT candidate, establishment, final AS entity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
    FROM cand
    WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
)
SELECT f.establishment, json_extract(n.value, '$'), json_extract(h.value, '$.note'), count(*)
FROM finals f
LEFT JOIN state n ON n.entity = f.entity AND n.field = 'note'
LEFT JOIN state h ON h.entity = f.entity AND h.field = 'harmonisation'
GROUP BY 1, 2, 3;

-- profiles: notes per profile (the template of ndrc-e4-ccf has four scale codes: ?6 to ?9)
WITH reg AS (
    SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
           substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
    FROM state
    WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
),
enrolled AS (
    SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
    FROM reg
    JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
    JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
    JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
),
cand AS (
    SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
        (SELECT json_extract(value, '$') FROM state
         WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
    FROM enrolled e
),
finals AS (
    SELECT candidate, establishment, final AS entity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
    FROM cand
    WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
),
prof AS (
    SELECT f.entity, f.candidate, f.establishment, json_extract(n.value, '$') AS note, count(*) FILTER (WHERE json_extract(l.value, '$') = ?6) AS c0, count(*) FILTER (WHERE json_extract(l.value, '$') = ?7) AS c1, count(*) FILTER (WHERE json_extract(l.value, '$') = ?8) AS c2, count(*) FILTER (WHERE json_extract(l.value, '$') = ?9) AS c3, count(*) AS total,
        (SELECT value FROM json_each(?5) WHERE key = coalesce(f.option, '')) AS required
    FROM finals f
    JOIN state n ON n.entity = f.entity AND n.field = 'note' AND n.value <> 'null'
    JOIN state l ON l.entity = f.entity AND l.field >= 'level/' AND l.field < 'level0' AND l.value <> 'null'
    WHERE (substr(l.field, 7, instr(l.field, '.') - 7) NOT IN (SELECT value FROM json_each(?4)) OR substr(l.field, 7, instr(l.field, '.') - 7) = f.option)
    GROUP BY f.entity
)
SELECT c0, c1, c2, c3, note, count(*) FROM prof WHERE total = required GROUP BY c0, c1, c2, c3, note;

-- profiles: the grids to compare with their profile's notes
WITH reg AS (
    SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
           substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
    FROM state
    WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
),
enrolled AS (
    SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
    FROM reg
    JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
    JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
    JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
),
cand AS (
    SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
        (SELECT json_extract(value, '$') FROM state
         WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
    FROM enrolled e
),
finals AS (
    SELECT candidate, establishment, final AS entity,
        (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
    FROM cand
    WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
),
prof AS (
    SELECT f.entity, f.candidate, f.establishment, json_extract(n.value, '$') AS note, count(*) FILTER (WHERE json_extract(l.value, '$') = ?6) AS c0, count(*) FILTER (WHERE json_extract(l.value, '$') = ?7) AS c1, count(*) FILTER (WHERE json_extract(l.value, '$') = ?8) AS c2, count(*) FILTER (WHERE json_extract(l.value, '$') = ?9) AS c3, count(*) AS total,
        (SELECT value FROM json_each(?5) WHERE key = coalesce(f.option, '')) AS required
    FROM finals f
    JOIN state n ON n.entity = f.entity AND n.field = 'note' AND n.value <> 'null'
    JOIN state l ON l.entity = f.entity AND l.field >= 'level/' AND l.field < 'level0' AND l.value <> 'null'
    WHERE (substr(l.field, 7, instr(l.field, '.') - 7) NOT IN (SELECT value FROM json_each(?4)) OR substr(l.field, 7, instr(l.field, '.') - 7) = f.option)
    GROUP BY f.entity
)
SELECT entity, candidate, establishment, note, c0, c1, c2, c3 FROM prof WHERE total = required;

-- deviceLines (the conflicts statement takes the session as ?1 there: written with ?2 here)
SELECT device, count(*) FROM rejections GROUP BY device;
SELECT device, count(*) FROM quarantine GROUP BY device;
SELECT e.device, count(DISTINCT s.entity || '|' || s.field)
FROM state s, json_each(s.heads) h JOIN events e ON e.id = h.value
WHERE s.conflict = 1
  AND ((s.entity >= 'grid/' AND s.entity < 'grid0' AND s.entity LIKE 'grid/%/' || ?2 || '/%')
       OR (s.entity >= ('conformity/' || ?2 || '/') AND s.entity < ('conformity/' || ?2 || '0')))
GROUP BY e.device;
