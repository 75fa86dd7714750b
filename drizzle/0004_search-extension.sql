-- Trigram indexes let the helpdesk find people by any part of a name or email, case-insensitive,
-- without scanning every row. pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
