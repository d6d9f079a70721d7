import { describe, expect, it } from "vitest";
import {
  CallbackAttemptSchema,
  CallbackChangedSchema,
  CallbackExtraSchema,
  CallbackRelatedItemSchema,
  DotNetDateTimeSchema,
  type EnreachEventDef,
  type EnreachEventName,
  EnreachEventSchema,
  enreachEventNames,
  enreachEvents,
  GuidSchema,
  IntSchema,
  QueueAttachedUserSchema,
  QueueCallInTransferStartedSchema,
  QueueCallInUserAllocatedSchema,
  QueueStatusSchema,
  UserAvailabilitySchema,
  UserCallInArrivedSchema,
  UserCallInComingSchema,
  UserCallInUserOverflowSchema,
} from "../src/vendors/enreach/schemas.js";

/**
 * Property tables transcribed from Enreach's webhook document, one per event, in the document's order.
 * `?` marks a value that may be JSON null (the document's `Guid?`, `DateTime?`, `int?`, and free-text or optional
 * strings). Enumerations have their own type names.
 */
type FieldType =
  | "Guid"
  | "Guid?"
  | "DateTime"
  | "DateTime?"
  | "int"
  | "int?"
  | "bool"
  | "string"
  | "string?"
  | "Availability"
  | "DisconnectReason"
  | "UserOverflowReason"
  | "OpenStatus"
  | "CallbackTypeId"
  | "QueueAttachedUser[]"
  | "CallbackAttempt[]"
  | "CallbackExtra[]"
  | "CallbackRelatedItem[]";

type EntityType = "User" | "Queue" | "CallList";

const COMMON: Record<string, FieldType> = {
  Id: "Guid",
  Timestamp: "DateTime",
  RootEntityId: "Guid",
  EntityId: "Guid",
};
const COMMON_KEYS = [
  "Id",
  "Timestamp",
  "RootEntityType",
  "RootEntityId",
  "EntityType",
  "EntityId",
  "EventType",
];

const EXPECTED = {
  UserAvailability: {
    entity: "User",
    fields: {
      Availability: "Availability",
      EndTime: "DateTime",
      EventSource: "string?",
      Note: "string?",
      OrganizationId: "Guid",
      ProfileId: "Guid",
      StartTime: "DateTime",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserCallInArrived: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserCallInComing: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInDisconnected: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      Reason: "DisconnectReason",
      TargetNumber: "string",
      TechReason: "string?",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInOverflow: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      ConnectedTarget: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      OverflowApplet: "string?",
      TargetNumber: "string",
      TechEvent: "string?",
      TechNumber: "string?",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInTransferCancelled: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      Reason: "string",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      TransferApplet: "string?",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInTransferConnected: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      ConnectedTarget: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      TransferApplet: "string?",
      TransferSource: "string?",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInTransferStarted: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      TransferApplet: "string?",
      TransferSource: "string?",
      TransferTarget: "string",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallInUserAllocated: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
      UserNumber: "string",
    },
  },
  UserCallInUserCancelled: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      Reason: "string",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserCallInUserConnected: {
    entity: "User",
    fields: {
      AgentLegId: "string",
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
      UserNumber: "string",
    },
  },
  UserCallInUserOverflow: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      Reason: "UserOverflowReason",
      Target: "string",
      TargetNumber: "string",
      UserId: "Guid",
      Username: "string",
    },
  },
  UserCallOutConnected: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserCallOutDisconnected: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      Reason: "DisconnectReason",
      TargetNumber: "string",
      TechReason: "string?",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserCallOutGoing: {
    entity: "User",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  UserStatus: {
    entity: "User",
    fields: {
      ActiveQueueId: "Guid?",
      ActiveQueues: "int",
      Available: "bool",
      CanBeAllocatedTo: "bool",
      OrganizationId: "Guid",
      ParkedCalls: "int",
      Schedule: "bool",
      ServiceTerminals: "int",
      Serving: "bool",
      ServingCallback: "bool",
      Talking: "bool",
      UserId: "Guid",
      WrapUpEnd: "DateTime?",
    },
  },
  UserSupervisionStatus: {
    entity: "User",
    fields: {
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid?",
      QueueName: "string?",
      State: "string",
      SupervisorLegId: "string?",
      SupervisorUserId: "Guid",
      SupervisorUserName: "string",
      TargetUserId: "Guid",
      TargetUserName: "string",
    },
  },
  UserWrapUpEnabled: {
    entity: "User",
    fields: {
      CallId: "Guid",
      LegId: "string",
      MaxWrapUpDurationSec: "int",
      OrganizationId: "Guid",
      QueueId: "Guid",
      UserId: "Guid",
    },
  },
  UserWrapUpStarted: {
    entity: "User",
    fields: {
      CallId: "Guid",
      LegId: "string",
      MaxWrapUpDurationSec: "int",
      OrganizationId: "Guid",
      QueueId: "Guid",
      UserId: "Guid",
    },
  },
  UserWrapUpTerminated: {
    entity: "User",
    fields: {
      CallId: "Guid",
      ElapsedTimeSec: "int",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      Reason: "string",
      UserId: "Guid",
    },
  },
  QueueAttachedUsers: {
    entity: "Queue",
    fields: {
      AttachedUsers: "QueueAttachedUser[]",
      OrganizationId: "Guid",
      QueueId: "Guid",
    },
  },
  QueueCallInArrived: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      QueueNumber: "string",
      TargetNumber: "string",
    },
  },
  QueueCallInComing: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      QueueNumber: "string",
      TargetNumber: "string",
    },
  },
  QueueCallInDisconnected: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      Reason: "DisconnectReason",
      TargetNumber: "string",
      TechReason: "string?",
    },
  },
  QueueCallInOverflow: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      OverflowApplet: "string?",
      QueueId: "Guid",
      QueueName: "string",
      TargetNumber: "string",
      TechEvent: "string?",
      TechNumber: "string?",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
    },
  },
  QueueCallInTransferCancelled: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      Reason: "string",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      TransferApplet: "string?",
    },
  },
  QueueCallInTransferConnected: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      ConnectedTarget: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechSource: "string?",
      TransferApplet: "string?",
    },
  },
  QueueCallInTransferStarted: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      TargetNumber: "string",
      TechQueueId: "Guid",
      TechQueueName: "string",
      TechType: "string?",
      TransferApplet: "string?",
      TransferSource: "string?",
      TransferTarget: "string",
    },
  },
  QueueCallInUserAllocated: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      QueueNumber: "string",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  QueueCallInUserCancelled: {
    entity: "Queue",
    fields: {
      CallerNumber: "string",
      CallId: "Guid",
      DetailedReason: "string?",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      QueueNumber: "string",
      Reason: "DisconnectReason",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
    },
  },
  QueueCallInUserConnected: {
    entity: "Queue",
    fields: {
      AgentLegId: "string",
      CallerNumber: "string",
      CallId: "Guid",
      LegId: "string",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
      QueueNumber: "string",
      TargetNumber: "string",
      UserId: "Guid",
      UserName: "string",
      UserNumber: "string",
    },
  },
  QueueStatus: {
    entity: "Queue",
    fields: {
      MaxWaitTime: "int",
      NbrOfAgentsCheckedInQueue: "int",
      NbrOfAgentsImmediatelyFree: "int",
      NbrOfAgentsLongTermAway: "int",
      NbrOfAgentsOnWrapUp: "int",
      NbrOfAgentsShortTermAway: "int",
      NbrOfAllocated: "int",
      NbrOfConnected: "int",
      NbrOfNotServedRequesters: "int",
      NbrOfProviders: "int",
      NbrOfQueuingRequesters: "int",
      NbrOfRequesters: "int",
      NbrOfServingAgentsEstimate: "int",
      OpenStatus: "OpenStatus",
      OrganizationId: "Guid",
      QueueId: "Guid",
      QueueName: "string",
    },
  },
  CallbackChanged: {
    entity: "CallList",
    fields: {
      AssignedUserId: "Guid?",
      CalculatedPriority: "string?",
      CallbackAttempts: "CallbackAttempt[]",
      CallbackExtras: "CallbackExtra[]",
      CallBackId: "Guid",
      CallbackRelatedItems: "CallbackRelatedItem[]",
      CallId: "Guid?",
      CallListId: "Guid",
      ChannelIn: "string?",
      ClassificationId: "Guid?",
      ContactMessage: "string?",
      ContactName: "string?",
      ContactNumber: "string",
      CreationTime: "DateTime",
      DueDate: "DateTime?",
      ExpiryDate: "DateTime?",
      LastAttemptNote: "string?",
      LastAttemptTimestamp: "DateTime?",
      LastAttemptTypeId: "int?",
      LastAttemptUserId: "Guid?",
      LastModifiedUserId: "Guid?",
      Modified: "DateTime",
      NotBefore: "DateTime?",
      Note: "string?",
      OrganizationId: "Guid",
      RecordingId: "Guid?",
      TranscriptId: "Guid?",
      TypeId: "CallbackTypeId",
    },
  },
  CallbackListStatus: {
    entity: "CallList",
    fields: {
      CallListId: "Guid",
      ExpiresIn24h: "int",
      IsAutoAllocate: "bool",
      NextHourOverDueDate: "int",
      NextHourRevealedNotBefore: "int",
      OrganizationId: "Guid",
      TotalActiveAgents: "int",
      TotalAssigned: "int",
      TotalAutoAllocateAgents: "int",
      TotalFreeForAllocation: "int",
      TotalHidingNotBefore: "int",
      TotalOpenRequests: "int",
      TotalOverDueDate: "int",
      TotalServingAgents: "int",
      TotalServingAutoAllocateAgents: "int",
    },
  },
} satisfies Record<EnreachEventName, { entity: EntityType; fields: Record<string, FieldType> }>;

const DOCUMENT_ORDER = Object.keys(EXPECTED) as EnreachEventName[];

// ---------------------------------------------------------------------------------------------------------------
// Sample generation from the tables above
// ---------------------------------------------------------------------------------------------------------------

let guidCounter = 0;
function nextGuid(): string {
  guidCounter += 1;
  return `0c0ffee0-0000-4000-8000-${guidCounter.toString(16).padStart(12, "0")}`;
}

const STRING_SAMPLES: Record<string, string> = {
  CallerNumber: "+358501231234",
  TargetNumber: "+35810123",
  QueueNumber: "+358101231234",
  UserNumber: "+358401231234",
  ContactNumber: "+358501231234",
  UserName: "sample.agent@customer.com",
  Username: "sample.agent@customer.com",
  SupervisorUserName: "sample.supervisor@customer.com",
  TargetUserName: "sample.agent@customer.com",
  QueueName: "Sample queue 1",
  TechQueueName: "Sample technical queue",
  ChannelIn: "Sample queue 1",
  TechReason: "busy_on_busy",
  Reason: "manual",
  TransferTarget: "+358501239999",
  Target: "+358501239999",
};

function sampleValue(key: string, type: FieldType): unknown {
  switch (type) {
    case "Guid":
    case "Guid?":
      return nextGuid();
    case "DateTime":
    case "DateTime?":
      return "2018-01-01T08:01:23.45";
    case "int":
    case "int?":
      return 3;
    case "bool":
      return true;
    case "string":
    case "string?":
      return STRING_SAMPLES[key] ?? `${key} sample`;
    case "Availability":
      return "Available";
    case "DisconnectReason":
      return "remote";
    case "UserOverflowReason":
      return "NoAnswer";
    case "OpenStatus":
      return 5;
    case "CallbackTypeId":
      return 2;
    case "QueueAttachedUser[]":
      return [{ Active: true, Priority: 1, UserId: nextGuid() }];
    case "CallbackAttempt[]":
      return [
        {
          CallbackAttemptTypeId: 1,
          Id: nextGuid(),
          Note: "No answer",
          Timestamp: "2018-01-01T09:00:00",
          UserId: nextGuid(),
        },
      ];
    case "CallbackExtra[]":
      return [{ Id: 1, Name: "CustomerId", Value: "12345" }];
    case "CallbackRelatedItem[]":
      return [{ Id: nextGuid(), IsClosed: false, ListId: nextGuid(), StatusId: 1 }];
  }
}

function sample(name: EnreachEventName): Record<string, unknown> {
  const { entity, fields } = EXPECTED[name];
  const body: Record<string, unknown> = {
    Id: nextGuid(),
    Timestamp: "2018-01-01T08:01:23.45",
    RootEntityType: "Organization",
    RootEntityId: nextGuid(),
    EntityType: entity,
    EntityId: nextGuid(),
    EventType: name,
  };
  for (const [key, type] of Object.entries(fields) as [string, FieldType][]) {
    body[key] = sampleValue(key, type);
  }
  return body;
}

function def(name: EnreachEventName): EnreachEventDef {
  return enreachEvents[name];
}

function accepts(name: EnreachEventName, body: Record<string, unknown>): boolean {
  return def(name).schema.safeParse(body).success;
}

const UPPERCASE_GUID = "85B214F2-1D27-4262-87B6-8F55B3199400";

// ---------------------------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------------------------

describe("primitives", () => {
  it("GuidSchema accepts lowercase GUIDs only", () => {
    expect(GuidSchema.safeParse("85b214f2-1d27-4262-87b6-8f55b3199400").success).toBe(true);
    expect(GuidSchema.safeParse(UPPERCASE_GUID).success).toBe(false);
    expect(GuidSchema.safeParse("{85b214f2-1d27-4262-87b6-8f55b3199400}").success).toBe(false);
    expect(GuidSchema.safeParse("85b214f21d27426287b68f55b3199400").success).toBe(false);
    expect(GuidSchema.safeParse("").success).toBe(false);
  });

  it("DotNetDateTimeSchema accepts round-trip values without an offset", () => {
    for (const ok of [
      "2018-01-01T08:01:23.45",
      "2018-01-01T08:01:23",
      "2018-01-01T08:01:23.1",
      "9999-12-31T23:59:59.9999999",
    ]) {
      expect(DotNetDateTimeSchema.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of [
      "2018-01-01T08:01:23.45Z",
      "2018-01-01T08:01:23Z",
      "2018-01-01T08:01:23.45+02:00",
      "2018-01-01T08:01:23-05:00",
      "2018-01-01T08:01:23.12345678",
      "2018-01-01T08:01:23.",
      "2018-01-01 08:01:23",
      "2018-01-01",
      "2018-01-01T08:01",
    ]) {
      expect(DotNetDateTimeSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("IntSchema accepts integers (including long values) and rejects fractions and strings", () => {
    expect(IntSchema.safeParse(0).success).toBe(true);
    expect(IntSchema.safeParse(-1).success).toBe(true);
    expect(IntSchema.safeParse(2 ** 40).success).toBe(true);
    expect(IntSchema.safeParse(1.5).success).toBe(false);
    expect(IntSchema.safeParse("1").success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------------

describe("registry", () => {
  it("lists every event of the document, in the document's order", () => {
    expect(enreachEventNames).toEqual(DOCUMENT_ORDER);
    expect(enreachEventNames).toHaveLength(34);
  });

  it.each(DOCUMENT_ORDER)("%s: name, entity type and description", (name) => {
    const d = def(name);
    expect(d.name).toBe(name);
    expect(d.entityType).toBe(EXPECTED[name].entity);
    expect(d.description.length).toBeGreaterThan(0);
  });

  it("keeps the document's descriptions verbatim", () => {
    expect(enreachEvents.UserAvailability.description).toBe("User's current availability state");
    expect(enreachEvents.QueueCallInUserAllocated.description).toBe(
      "Incoming call. Current target is service or technical queue. Allocated to an agent.",
    );
    expect(enreachEvents.CallbackChanged.description).toBe(
      "Produced when a callback request changes (is created, updated, closed etc).",
    );
  });

  it("exposes the named schemas", () => {
    expect(enreachEvents.UserAvailability.schema).toBe(UserAvailabilitySchema);
    expect(enreachEvents.QueueCallInUserAllocated.schema).toBe(QueueCallInUserAllocatedSchema);
    expect(enreachEvents.CallbackChanged.schema).toBe(CallbackChangedSchema);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Per-event contract
// ---------------------------------------------------------------------------------------------------------------

describe.each(DOCUMENT_ORDER)("%s", (name) => {
  const fields = EXPECTED[name].fields as Record<string, FieldType>;
  const nullable = Object.entries(fields)
    .filter(([, type]) => type.endsWith("?"))
    .map(([key]) => key);
  const nonNullable = Object.entries(fields)
    .filter(([, type]) => !type.endsWith("?"))
    .map(([key]) => key);
  const guidKeys = [
    ...Object.keys(COMMON).filter((key) => COMMON[key] === "Guid"),
    ...Object.entries(fields)
      .filter(([, type]) => type === "Guid" || type === "Guid?")
      .map(([key]) => key),
  ];

  it("has exactly the document's property names (common + own)", () => {
    const keys = Object.keys(def(name).schema.shape).sort();
    expect(keys).toEqual([...COMMON_KEYS, ...Object.keys(fields)].sort());
  });

  it("accepts a valid sample, also through the discriminated union", () => {
    const body = sample(name);
    const parsed = def(name).schema.safeParse(body);
    expect(parsed.error).toBeUndefined();
    const union = EnreachEventSchema.safeParse(body);
    expect(union.error).toBeUndefined();
    expect(union.data?.EventType).toBe(name);
  });

  it("rejects a body missing any one property", () => {
    for (const key of [...COMMON_KEYS, ...Object.keys(fields)]) {
      const body = sample(name);
      delete body[key];
      expect(accepts(name, body), key).toBe(false);
    }
  });

  it("rejects an unknown extra property", () => {
    expect(accepts(name, { ...sample(name), Extra: "x" })).toBe(false);
  });

  it("rejects a Timestamp with Z or an offset", () => {
    expect(accepts(name, { ...sample(name), Timestamp: "2018-01-01T08:01:23.45Z" })).toBe(false);
    expect(accepts(name, { ...sample(name), Timestamp: "2018-01-01T08:01:23.45+02:00" })).toBe(false);
  });

  it("rejects an uppercase GUID in every Guid property", () => {
    for (const key of guidKeys) {
      expect(accepts(name, { ...sample(name), [key]: UPPERCASE_GUID }), key).toBe(false);
    }
  });

  it("rejects another event's EventType and a wrong EntityType", () => {
    const other = name === "QueueStatus" ? "UserStatus" : "QueueStatus";
    expect(accepts(name, { ...sample(name), EventType: other })).toBe(false);
    expect(accepts(name, { ...sample(name), EventType: name.toLowerCase() })).toBe(false);
    const wrongEntity = EXPECTED[name].entity === "User" ? "Queue" : "User";
    expect(accepts(name, { ...sample(name), EntityType: wrongEntity })).toBe(false);
    expect(accepts(name, { ...sample(name), EntityType: "Undefined" })).toBe(false);
  });

  it("accepts RootEntityType Organization or Undefined only", () => {
    expect(accepts(name, { ...sample(name), RootEntityType: "Undefined" })).toBe(true);
    expect(accepts(name, { ...sample(name), RootEntityType: "Tenant" })).toBe(false);
  });

  it("accepts null in nullable properties", () => {
    for (const key of nullable) {
      expect(accepts(name, { ...sample(name), [key]: null }), key).toBe(true);
    }
  });

  it("rejects null in non-nullable properties", () => {
    for (const key of [...COMMON_KEYS, ...nonNullable]) {
      expect(accepts(name, { ...sample(name), [key]: null }), key).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The document's example request
// ---------------------------------------------------------------------------------------------------------------

describe("the document's example QueueCallInUserAllocated body", () => {
  const example = {
    RootEntityType: "Organization",
    RootEntityId: "fd434d24-f685-431d-8df5-386b5d5ffa73",
    EventType: "QueueCallInUserAllocated",
    EntityType: "Queue",
    EntityId: "6cb31d7d-9cd9-41dc-a096-62cf31fd0281",
    CallId: "9cae633f-68d0-4315-8b9a-b83c7673d8dc",
    QueueId: "6cb31d7d-9cd9-41dc-a096-62cf31fd0281",
    OrganizationId: "fd434d24-f685-431d-8df5-386b5d5ffa73",
    QueueName: "Sample queue 1",
    QueueNumber: "+358101231234",
    UserId: "b4df099e-70dc-4ff5-b4ea-c2c3547d97fb",
    Username: "sample.agent@customer.com",
    CallerNumber: "+358501231234",
    TargetNumber: "+35810123",
    Id: "85b214f2-1d27-4262-87b6-8f55b3199400",
    Timestamp: "2018-01-01T08:01:23.45",
  };

  it("parses once the properties of the table that it lacks are added", () => {
    // The example spells the user name `Username`; the event's table spells it `UserName`, and the table is
    // followed. LegId and DetailedReason are in the table but not in the example.
    const { Username, ...rest } = example;
    const body = { ...rest, UserName: Username, LegId: "leg-1", DetailedReason: null };
    const parsed = QueueCallInUserAllocatedSchema.safeParse(body);
    expect(parsed.error).toBeUndefined();
    expect(parsed.data).toEqual(body);
    expect(EnreachEventSchema.safeParse(body).data?.EventType).toBe("QueueCallInUserAllocated");
  });

  it("is rejected verbatim, because the example's `Username` is not the table's `UserName`", () => {
    const parsed = QueueCallInUserAllocatedSchema.safeParse({
      ...example,
      LegId: "leg-1",
      DetailedReason: null,
    });
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys" ? issue.keys : issue.path.map(String),
    );
    expect(paths?.sort()).toEqual(["UserName", "Username"]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Spelling quirks of the document
// ---------------------------------------------------------------------------------------------------------------

describe("spelling quirks", () => {
  it("UserCallInComing requires Username and rejects UserName", () => {
    expect(Object.keys(UserCallInComingSchema.shape)).toContain("Username");
    expect(Object.keys(UserCallInComingSchema.shape)).not.toContain("UserName");
    const { Username, ...rest } = sample("UserCallInComing");
    expect(UserCallInComingSchema.safeParse({ ...rest, Username }).success).toBe(true);
    expect(UserCallInComingSchema.safeParse({ ...rest, UserName: Username }).success).toBe(false);
  });

  it("UserCallInArrived requires UserName and rejects Username", () => {
    expect(Object.keys(UserCallInArrivedSchema.shape)).toContain("UserName");
    expect(Object.keys(UserCallInArrivedSchema.shape)).not.toContain("Username");
    const { UserName, ...rest } = sample("UserCallInArrived");
    expect(UserCallInArrivedSchema.safeParse({ ...rest, UserName }).success).toBe(true);
    expect(UserCallInArrivedSchema.safeParse({ ...rest, Username: UserName }).success).toBe(false);
  });

  it("CallbackChanged has CallBackId with a capital B", () => {
    const keys = Object.keys(CallbackChangedSchema.shape);
    expect(keys).toContain("CallBackId");
    expect(keys).not.toContain("CallbackId");
    const { CallBackId, ...rest } = sample("CallbackChanged");
    expect(CallbackChangedSchema.safeParse({ ...rest, CallbackId: CallBackId }).success).toBe(false);
  });

  it("QueueCallInTransferStarted has TechType and no TechSource", () => {
    const keys = Object.keys(QueueCallInTransferStartedSchema.shape);
    expect(keys).toContain("TechType");
    expect(keys).not.toContain("TechSource");
    const { TechType, ...rest } = sample("QueueCallInTransferStarted");
    expect(QueueCallInTransferStartedSchema.safeParse({ ...rest, TechSource: TechType }).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------------------------------

describe("enumerations", () => {
  it("UserAvailability.Availability", () => {
    for (const value of ["Available", "Busy", "DoNotDisturb", "OffWork"]) {
      expect(accepts("UserAvailability", { ...sample("UserAvailability"), Availability: value }), value).toBe(
        true,
      );
    }
    for (const value of ["Away", "available", null]) {
      expect(accepts("UserAvailability", { ...sample("UserAvailability"), Availability: value })).toBe(false);
    }
  });

  it("UserAvailability.EndTime accepts DateTime.MaxValue", () => {
    expect(
      accepts("UserAvailability", { ...sample("UserAvailability"), EndTime: "9999-12-31T23:59:59.9999999" }),
    ).toBe(true);
  });

  it.each([
    "UserCallInDisconnected",
    "UserCallOutDisconnected",
    "QueueCallInDisconnected",
    "QueueCallInUserCancelled",
  ] as const)("%s.Reason is remote or local", (name) => {
    expect(accepts(name, { ...sample(name), Reason: "remote" })).toBe(true);
    expect(accepts(name, { ...sample(name), Reason: "local" })).toBe(true);
    expect(accepts(name, { ...sample(name), Reason: "Remote" })).toBe(false);
    expect(accepts(name, { ...sample(name), Reason: "timeout" })).toBe(false);
  });

  it.each([
    "UserCallInUserCancelled",
    "UserCallInTransferCancelled",
    "QueueCallInTransferCancelled",
    "UserWrapUpTerminated",
  ] as const)("%s.Reason is an undocumented free string", (name) => {
    for (const value of ["manual", "timer", "remote", "anything"]) {
      expect(accepts(name, { ...sample(name), Reason: value })).toBe(true);
    }
  });

  it("UserCallInUserOverflow.Reason", () => {
    for (const value of [
      "AVAActiveProfile",
      "BusyForTechnicalError",
      "DND",
      "OffWork",
      "NoAnswer",
      "InterruptOverflow",
      "BusyOnBusy",
      "TransferAll",
      "BlindTransfer",
    ]) {
      expect(
        UserCallInUserOverflowSchema.safeParse({ ...sample("UserCallInUserOverflow"), Reason: value })
          .success,
      ).toBe(true);
    }
    expect(
      UserCallInUserOverflowSchema.safeParse({ ...sample("UserCallInUserOverflow"), Reason: "Busy" }).success,
    ).toBe(false);
  });

  it("QueueStatus.OpenStatus is an integer 0..6", () => {
    for (let value = 0; value <= 6; value += 1) {
      expect(QueueStatusSchema.safeParse({ ...sample("QueueStatus"), OpenStatus: value }).success).toBe(true);
    }
    for (const value of [-1, 7, 2.5, "Open"]) {
      expect(QueueStatusSchema.safeParse({ ...sample("QueueStatus"), OpenStatus: value }).success).toBe(
        false,
      );
    }
  });

  it("CallbackChanged.TypeId is 1, 2 or 3", () => {
    for (const value of [1, 2, 3]) {
      expect(CallbackChangedSchema.safeParse({ ...sample("CallbackChanged"), TypeId: value }).success).toBe(
        true,
      );
    }
    for (const value of [0, 4, "1"]) {
      expect(CallbackChangedSchema.safeParse({ ...sample("CallbackChanged"), TypeId: value }).success).toBe(
        false,
      );
    }
  });

  it("UserSupervisionStatus.State is a string", () => {
    const body = { ...sample("UserSupervisionStatus"), State: "Listening" };
    expect(accepts("UserSupervisionStatus", body)).toBe(true);
    expect(accepts("UserSupervisionStatus", { ...body, State: 1 })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Nested list items
// ---------------------------------------------------------------------------------------------------------------

describe("nested list items", () => {
  const guid = "b4df099e-70dc-4ff5-b4ea-c2c3547d97fb";

  it("QueueAttachedUser", () => {
    const item = { Active: true, Priority: 1, UserId: guid };
    expect(Object.keys(QueueAttachedUserSchema.shape).sort()).toEqual(["Active", "Priority", "UserId"]);
    expect(QueueAttachedUserSchema.safeParse(item).success).toBe(true);
    expect(QueueAttachedUserSchema.safeParse({ ...item, Extra: 1 }).success).toBe(false);
    expect(QueueAttachedUserSchema.safeParse({ ...item, Priority: null }).success).toBe(false);
    expect(QueueAttachedUserSchema.safeParse({ ...item, UserId: UPPERCASE_GUID }).success).toBe(false);
  });

  it("CallbackAttempt", () => {
    const item = {
      CallbackAttemptTypeId: 1,
      Id: guid,
      Note: "Called, no answer",
      Timestamp: "2018-01-01T09:00:00.5",
      UserId: guid,
    };
    expect(Object.keys(CallbackAttemptSchema.shape).sort()).toEqual([
      "CallbackAttemptTypeId",
      "Id",
      "Note",
      "Timestamp",
      "UserId",
    ]);
    expect(CallbackAttemptSchema.safeParse(item).success).toBe(true);
    expect(
      CallbackAttemptSchema.safeParse({
        ...item,
        CallbackAttemptTypeId: null,
        Note: null,
        Timestamp: null,
        UserId: null,
      }).success,
    ).toBe(true);
    expect(CallbackAttemptSchema.safeParse({ ...item, Id: null }).success).toBe(false);
    expect(CallbackAttemptSchema.safeParse({ ...item, Timestamp: "2018-01-01T09:00:00Z" }).success).toBe(
      false,
    );
    expect(CallbackAttemptSchema.safeParse({ ...item, Extra: 1 }).success).toBe(false);
  });

  it("CallbackExtra", () => {
    const item = { Id: 1, Name: "CustomerId", Value: "12345" };
    expect(Object.keys(CallbackExtraSchema.shape).sort()).toEqual(["Id", "Name", "Value"]);
    expect(CallbackExtraSchema.safeParse(item).success).toBe(true);
    expect(CallbackExtraSchema.safeParse({ ...item, Value: null }).success).toBe(true);
    expect(CallbackExtraSchema.safeParse({ ...item, Id: guid }).success).toBe(false);
    expect(CallbackExtraSchema.safeParse({ ...item, Extra: 1 }).success).toBe(false);
  });

  it("CallbackRelatedItem", () => {
    const item = { Id: guid, IsClosed: true, ListId: guid, StatusId: 2 };
    expect(Object.keys(CallbackRelatedItemSchema.shape).sort()).toEqual([
      "Id",
      "IsClosed",
      "ListId",
      "StatusId",
    ]);
    expect(CallbackRelatedItemSchema.safeParse(item).success).toBe(true);
    expect(CallbackRelatedItemSchema.safeParse({ ...item, ListId: null, StatusId: null }).success).toBe(true);
    expect(CallbackRelatedItemSchema.safeParse({ ...item, IsClosed: null }).success).toBe(false);
    expect(CallbackRelatedItemSchema.safeParse({ ...item, Extra: 1 }).success).toBe(false);
  });

  it("CallbackChanged accepts empty lists and rejects invalid items", () => {
    const body = sample("CallbackChanged");
    expect(
      CallbackChangedSchema.safeParse({
        ...body,
        CallbackAttempts: [],
        CallbackExtras: [],
        CallbackRelatedItems: [],
      }).success,
    ).toBe(true);
    expect(CallbackChangedSchema.safeParse({ ...body, CallbackExtras: [{ Id: 1, Name: "x" }] }).success).toBe(
      false,
    );
  });

  it("QueueAttachedUsers accepts an empty list and rejects invalid items", () => {
    const body = sample("QueueAttachedUsers");
    expect(accepts("QueueAttachedUsers", { ...body, AttachedUsers: [] })).toBe(true);
    expect(accepts("QueueAttachedUsers", { ...body, AttachedUsers: [{ Active: true, UserId: guid }] })).toBe(
      false,
    );
  });
});
