-- wangge schema, version 1.
-- Every table of town data carries `town` and leads its primary key with it, and every
-- foreign key between town tables includes it, so the schema can be distributed by town
-- (Citus: create_distributed_table(..., 'town')). Catalogues without town data
-- (categories, holidays) are reference tables.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE towns (
    town        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('town', 'township', 'subdistrict')),
    admin_code  text NOT NULL,
    geom        geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX towns_geom_gist ON towns USING gist (geom);

-- Staff of a town: grid leaders (网格长), full-time grid workers (专职网格员), command-room
-- (综合指挥室) and platform (平台) staff.
CREATE TABLE workers (
    town        text NOT NULL REFERENCES towns (town),
    id          text NOT NULL,
    name        text NOT NULL,
    phone       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('grid_leader', 'grid_worker', 'command', 'platform')),
    platform    text CHECK (platform IN ('zongzhi', 'shichang', 'zhifa', 'bianmin')),
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (town, id),
    CHECK ((role = 'platform') = (platform IS NOT NULL))
);

-- A grid keeps its id across redraws; each version is one row, valid in
-- [valid_from, valid_to). The current version has valid_to IS NULL.
CREATE TABLE grids (
    town        text NOT NULL REFERENCES towns (town),
    id          text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    code        text NOT NULL,
    name        text NOT NULL,
    geom        geometry(Polygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    created_by  text NOT NULL,
    PRIMARY KEY (town, id, version),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX grids_current ON grids (town, id) WHERE valid_to IS NULL;
CREATE INDEX grids_geom_gist ON grids USING gist (geom);
CREATE INDEX grids_current_geom_gist ON grids USING gist (geom) WHERE valid_to IS NULL;

-- Who answers for a grid now: its leader (网格长) and its full-time worker (专职网格员).
CREATE TABLE grid_staff (
    town        text NOT NULL,
    grid        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('leader', 'worker')),
    worker      text NOT NULL,
    since       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (town, grid, role),
    FOREIGN KEY (town, worker) REFERENCES workers (town, id)
);

-- The category catalogue: which platform handles a kind of matter and in how many
-- working days (time limit, 处置时限).
CREATE TABLE categories (
    code                 text PRIMARY KEY,
    name                 text NOT NULL,
    name_en              text NOT NULL DEFAULT '',
    platform             text NOT NULL CHECK (platform IN ('zongzhi', 'shichang', 'zhifa', 'bianmin')),
    time_limit_workdays  integer NOT NULL CHECK (time_limit_workdays BETWEEN 1 AND 365)
);

-- Official holidays and adjusted working weekend days (调休), from
-- data/calendar/holidays.csv.
CREATE TABLE holidays (
    day     date PRIMARY KEY,
    kind    text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name    text NOT NULL
);

CREATE SEQUENCE reports_id_seq AS bigint;

CREATE TABLE reports (
    town             text NOT NULL REFERENCES towns (town),
    id               bigint NOT NULL DEFAULT nextval('reports_id_seq'),
    client_id        text NOT NULL,
    category         text NOT NULL REFERENCES categories (code),
    platform         text NOT NULL CHECK (platform IN ('zongzhi', 'shichang', 'zhifa', 'bianmin')),
    description      text NOT NULL DEFAULT '',
    source           text NOT NULL CHECK (source IN ('app', 'phone', 'pc', 'video', 'walk_in')),
    reporter         text,
    geom             geometry(Point, 4490) NOT NULL,
    input_crs        text NOT NULL DEFAULT 'EPSG:4326',
    input_lon        double precision NOT NULL,
    input_lat        double precision NOT NULL,
    grid             text,
    grid_version     integer,
    assign_method    text NOT NULL CHECK (assign_method IN ('contains', 'boundary', 'nearest', 'none')),
    assign_distance_m double precision NOT NULL DEFAULT 0,
    status           text NOT NULL CHECK (status IN ('reported', 'accepted', 'dispatched', 'in_progress',
                                                     'resolved', 'closed', 'rejected')),
    reported_at      timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    accepted_at      timestamptz,
    dispatched_at    timestamptz,
    due_at           timestamptz,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    handling         text CHECK (handling IN ('guikou', 'xietiao')),
    mode             text CHECK (mode IN ('lingban', 'lianban', 'duban')),
    assignees        text[] NOT NULL DEFAULT '{}',
    reopen_count     integer NOT NULL DEFAULT 0,
    supervise_count  integer NOT NULL DEFAULT 0,
    on_site          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (town, id),
    FOREIGN KEY (town, grid, grid_version) REFERENCES grids (town, id, version),
    CHECK ((grid IS NULL) = (grid_version IS NULL)),
    CHECK ((grid IS NULL) = (assign_method = 'none'))
);
-- The phone's idempotency key. Unique per town so the table stays distributable; the
-- service looks keys up across towns before writing (a key's point decides its town).
CREATE UNIQUE INDEX reports_client_id ON reports (town, client_id);
CREATE INDEX reports_geom_gist ON reports USING gist (geom);
CREATE INDEX reports_town_reported ON reports (town, reported_at);
CREATE INDEX reports_town_dispatched ON reports (town, dispatched_at) WHERE dispatched_at IS NOT NULL;
CREATE INDEX reports_town_grid ON reports (town, grid);
CREATE INDEX reports_open ON reports (town, due_at) WHERE status NOT IN ('closed', 'rejected');

-- The audit trail of the closed loop: one row per workflow action.
CREATE TABLE report_events (
    town         text NOT NULL,
    report       bigint NOT NULL,
    seq          integer NOT NULL,
    action       text NOT NULL CHECK (action IN ('report', 'resolve_on_site', 'accept', 'reject', 'dispatch',
                                                 'start', 'supervise', 'resolve', 'close', 'reopen')),
    from_status  text,
    to_status    text NOT NULL,
    actor        text NOT NULL,
    at           timestamptz NOT NULL,
    note         text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (town, report, seq),
    FOREIGN KEY (town, report) REFERENCES reports (town, id) ON DELETE CASCADE
);
CREATE INDEX report_events_town_at ON report_events (town, at);

-- API tokens. Only the SHA-256 of a token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('grid_worker', 'command', 'platform', 'leader', 'gis_admin', 'admin')),
    towns       text[] NOT NULL DEFAULT '{}',
    platform    text CHECK (platform IN ('zongzhi', 'shichang', 'zhifa', 'bianmin')),
    worker      text,
    sha256      text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Every write through the API or the CLI: who (token name and role), what, on which town.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    town        text,
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_town_at ON audit_log (town, at);
