-- GIN indexes beside FerretDB's own, so that its queries can use an index at all (ADR 0015).
--
-- FerretDB 1.24 on PostgreSQL creates every index (the `_id` one included) as a btree on
-- `(_jsonb -> 'field')`, but filters with containment, `_jsonb -> 'field' @> '"value"'`, which a
-- btree cannot answer: every lookup by `_id` reads the whole table (FerretDB/FerretDB#4646). A GIN
-- index on the same expression answers `@>`. The event trigger below adds one whenever FerretDB
-- creates a btree on such expressions; the block at the end adds them for tables already there.
-- Run it as a superuser (event triggers need one) in FerretDB's database; running it again is
-- harmless. The GIN indexes go with their table when FerretDB drops a collection, and FerretDB never
-- lists them (it keeps its own index metadata).

SET client_min_messages = warning;  -- not a notice per index that is already there

-- FerretDB sends the field as a parameter (`_jsonb -> $1 @> $2`). A cached generic plan cannot match
-- an index on `_jsonb -> '_id'` and reads the table; PostgreSQL picks one after five executions when
-- the table was small then. Planning each execution with its values keeps the index in use (new
-- sessions; start FerretDB after this).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END $$;

CREATE OR REPLACE FUNCTION cadre_gin_beside(btree oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ix pg_index%ROWTYPE;
    expr text;
BEGIN
    SELECT * INTO ix FROM pg_index WHERE indexrelid = btree;
    IF NOT FOUND OR (SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
                     WHERE c.oid = btree) <> 'btree' THEN
        RETURN;  -- also ends the recursion: the GIN index made here fires this trigger too
    END IF;
    FOR k IN 1..ix.indnatts LOOP
        expr := pg_get_indexdef(btree, k, true);
        CONTINUE WHEN expr !~ '^\(_jsonb -> ''[^'']+''::text\)$';  -- as pg_get_indexdef prints it
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s jsonb_path_ops)',
                       left((SELECT relname FROM pg_class WHERE oid = ix.indrelid), 40)
                           || '_' || left(md5(expr), 8) || '_gin',
                       ix.indrelid::regclass, expr);
    END LOOP;
EXCEPTION WHEN OTHERS THEN
    -- a missing GIN index costs speed only; FerretDB's own index must still be created
    RAISE WARNING 'cadre_gin_beside(%): %', btree, SQLERRM;
END $$;

CREATE OR REPLACE FUNCTION cadre_gin_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    created record;
BEGIN
    FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
                   WHERE command_tag = 'CREATE INDEX' LOOP
        PERFORM cadre_gin_beside(created.objid);
    END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS cadre_gin_on_create_index;
CREATE EVENT TRIGGER cadre_gin_on_create_index ON ddl_command_end
    WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION cadre_gin_on_create_index();

-- tables FerretDB made before this ran
DO $$
DECLARE
    btree oid;
BEGIN
    FOR btree IN SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 JOIN pg_am am ON am.oid = c.relam
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg_toast%' LOOP
        PERFORM cadre_gin_beside(btree);
    END LOOP;
END $$;
