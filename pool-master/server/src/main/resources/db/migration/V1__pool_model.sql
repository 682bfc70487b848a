-- The pool model in XAPI's vocabulary. Portable SQL: runs on PostgreSQL and on H2 in PostgreSQL
-- mode (the embedded default). JSON is kept as text in varchar columns without a length.

create table pool (
    uuid        uuid primary key,
    name        varchar(255) not null,
    description varchar(1024) not null,
    created_at  timestamp with time zone not null,
    version     bigint not null
);

create table host (
    uuid                      uuid primary key,
    name                      varchar(255),
    address                   varchar(255) not null,
    agent_url                 varchar(512) not null,
    agent_token               varchar(512),
    enabled                   boolean not null,
    health                    varchar(16) not null,
    health_reason             varchar(1024),
    last_contact_at           timestamp with time zone,
    cpu_count                 integer not null,
    cpu_model                 varchar(255),
    memory_total_bytes        bigint not null,
    memory_free_for_vms_bytes bigint not null,
    kvm_usable                boolean not null,
    kvm_reason                varchar(1024),
    accelerator               varchar(16),
    qemu_version              varchar(255),
    facts_updated_at          timestamp with time zone,
    joined_at                 timestamp with time zone not null,
    constraint host_agent_url_unique unique (agent_url)
);

create table storage_repository (
    uuid         uuid primary key,
    name         varchar(255) not null,
    description  varchar(1024) not null,
    type         varchar(64) not null,
    content_type varchar(64) not null,
    shared       boolean not null,
    created_at   timestamp with time zone not null,
    version      bigint not null
);

-- XAPI's PBD: how one host reaches one repository.
create table storage_attachment (
    uuid            uuid primary key,
    repository_uuid uuid not null references storage_repository (uuid),
    host_uuid       uuid not null references host (uuid),
    device_config   varchar,
    attached        boolean not null,
    version         bigint not null,
    constraint storage_attachment_once unique (repository_uuid, host_uuid)
);

-- XAPI's VDI.
create table virtual_disk (
    uuid               uuid primary key,
    repository_uuid    uuid not null references storage_repository (uuid),
    name               varchar(255) not null,
    description        varchar(1024) not null,
    virtual_size_bytes bigint not null,
    format             varchar(16) not null,
    location           varchar(4096),
    read_only          boolean not null,
    created_at         timestamp with time zone not null,
    version            bigint not null
);
create index virtual_disk_repository on virtual_disk (repository_uuid);

create table network (
    uuid        uuid primary key,
    name        varchar(255) not null,
    description varchar(1024) not null,
    bridge      varchar(15) not null,
    mtu         integer not null,
    version     bigint not null
);

create table vm (
    uuid              uuid primary key,
    name              varchar(64) not null,
    vcpus             integer not null,
    memory_mib        bigint not null,
    boot_kernel       varchar(4096),
    boot_initrd       varchar(4096),
    boot_cmdline      varchar(4096),
    accelerator       varchar(16) not null,
    machine           varchar(40) not null,
    power_state       varchar(16) not null,
    resident_on       uuid references host (uuid),
    scheduled_on      uuid references host (uuid),
    current_operation varchar(32),
    current_task      uuid,
    created_at        timestamp with time zone not null,
    version           bigint not null,
    constraint vm_name_unique unique (name)
);
create index vm_resident_on on vm (resident_on);
create index vm_scheduled_on on vm (scheduled_on);

-- XAPI's VBD: a VM's disk, on a virtual disk or (for now) a plain image path; exactly one.
create table vm_disk (
    uuid              uuid primary key,
    vm_uuid           uuid not null references vm (uuid),
    position          integer not null,
    device_id         varchar(25) not null,
    virtual_disk_uuid uuid references virtual_disk (uuid),
    path              varchar(4096),
    format            varchar(16) not null,
    boot_index        integer,
    read_only         boolean not null,
    bus               varchar(16) not null,
    constraint vm_disk_device_unique unique (vm_uuid, device_id),
    constraint vm_disk_one_source check ((virtual_disk_uuid is null) <> (path is null))
);

create table vif (
    uuid         uuid primary key,
    vm_uuid      uuid not null references vm (uuid),
    position     integer not null,
    device_id    varchar(25) not null,
    network_uuid uuid references network (uuid),
    mac          varchar(17),
    mode         varchar(8) not null,
    ifname       varchar(15),
    model        varchar(64) not null,
    constraint vif_device_unique unique (vm_uuid, device_id)
);

create table task (
    uuid          uuid primary key,
    name          varchar(64) not null,
    status        varchar(16) not null,
    progress      double precision not null,
    object_class  varchar(16) not null,
    object_uuid   uuid not null,
    created_at    timestamp with time zone not null,
    started_at    timestamp with time zone,
    finished_at   timestamp with time zone,
    result        varchar,
    error_code    varchar(64),
    error_message varchar(4000),
    version       bigint not null
);
create index task_created_at on task (created_at);
create index task_status on task (status);

-- The event log: ids come from event_clock (see EventLog), so they are gapless and commit in order.
create table event (
    id           bigint primary key,
    object_class varchar(16) not null,
    operation    varchar(3) not null,
    object_uuid  uuid not null,
    snapshot     varchar not null,
    created_at   timestamp with time zone not null
);

create table event_clock (
    id      integer primary key,
    last_id bigint not null
);
insert into event_clock (id, last_id) values (1, 0);
