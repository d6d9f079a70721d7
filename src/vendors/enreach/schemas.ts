/**
 * Enreach (formerly Benemen) webhook payload schemas.
 *
 * Event names, property names and their spelling follow Enreach's webhook document verbatim, including its
 * inconsistencies: `Username` and `UserName` alternate from event to event, CallbackChanged has `CallBackId`
 * (capital B), and QueueCallInTransferStarted has `TechType` where its sibling events have `TechSource`.
 *
 * Every property of an event is always present in the JSON body (the vendor serialises all of them); a value that
 * is absent is JSON `null`, so nothing here is `.optional()`. Objects are strict: an unknown key is rejected.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------------------
// Shared primitives
// ---------------------------------------------------------------------------------------------------------------

/** Lowercase 8-4-4-4-12 GUID, as .NET's `Guid.ToString()` writes it. */
export const GuidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "expected a lowercase GUID");

/**
 * .NET round-trip DateTime without an offset or `Z` (the value is UTC). Trailing zero fractional digits are
 * trimmed, up to 7 digits remain: `2018-01-01T08:01:23.45`, `9999-12-31T23:59:59.9999999` (DateTime.MaxValue).
 */
export const DotNetDateTimeSchema = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$/,
    "expected a .NET DateTime without offset, e.g. 2018-01-01T08:01:23.45",
  );

/** `int`, `long` and `short` values are JSON numbers without a fraction. */
export const IntSchema = z.number().int();

export const RootEntityTypeSchema = z.enum(["Organization", "Undefined"]);
export const EntityTypeSchema = z.enum(["User", "Queue", "CallList", "Undefined"]);

/** `Availability` of UserAvailability. */
export const AvailabilitySchema = z.enum(["Available", "Busy", "DoNotDisturb", "OffWork"]);

/** `Reason` of the *Disconnected events and of QueueCallInUserCancelled. */
export const DisconnectReasonSchema = z.enum(["remote", "local"]);

/** `Reason` of UserCallInUserOverflow. */
export const UserOverflowReasonSchema = z.enum([
  "AVAActiveProfile",
  "BusyForTechnicalError",
  "DND",
  "OffWork",
  "NoAnswer",
  "InterruptOverflow",
  "BusyOnBusy",
  "TransferAll",
  "BlindTransfer",
]);

/**
 * `OpenStatus` of QueueStatus: 0 NA, 1 NoActiveHandler, 2 NoActiveHandlerUncertain, 3 Closed, 4 ClosedUncertain,
 * 5 Open, 6 OpenUncertain.
 */
export const QueueOpenStatusSchema = IntSchema.min(0).max(6);

/** `TypeId` of CallbackChanged: 1 explicit callback request, 2 overflown call, 3 created manually. */
export const CallbackTypeIdSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);

// ---------------------------------------------------------------------------------------------------------------
// Common properties (every event)
// ---------------------------------------------------------------------------------------------------------------

export const CommonSchema = z.object({
  Id: GuidSchema,
  Timestamp: DotNetDateTimeSchema,
  RootEntityType: RootEntityTypeSchema,
  RootEntityId: GuidSchema,
  EntityType: EntityTypeSchema,
  EntityId: GuidSchema,
  EventType: z.string(),
});

// ---------------------------------------------------------------------------------------------------------------
// Nested list items
// ---------------------------------------------------------------------------------------------------------------

export const QueueAttachedUserSchema = z
  .object({
    Active: z.boolean(),
    Priority: IntSchema,
    UserId: GuidSchema,
  })
  .strict();

export const CallbackAttemptSchema = z
  .object({
    CallbackAttemptTypeId: IntSchema.nullable(),
    Id: GuidSchema,
    Note: z.string().nullable(),
    Timestamp: DotNetDateTimeSchema.nullable(),
    UserId: GuidSchema.nullable(),
  })
  .strict();

export const CallbackExtraSchema = z
  .object({
    Id: IntSchema,
    Name: z.string(),
    Value: z.string().nullable(),
  })
  .strict();

export const CallbackRelatedItemSchema = z
  .object({
    Id: GuidSchema,
    IsClosed: z.boolean(),
    ListId: GuidSchema.nullable(),
    StatusId: IntSchema.nullable(),
  })
  .strict();

export type QueueAttachedUser = z.infer<typeof QueueAttachedUserSchema>;
export type CallbackAttempt = z.infer<typeof CallbackAttemptSchema>;
export type CallbackExtra = z.infer<typeof CallbackExtraSchema>;
export type CallbackRelatedItem = z.infer<typeof CallbackRelatedItemSchema>;

// ---------------------------------------------------------------------------------------------------------------
// User events
// ---------------------------------------------------------------------------------------------------------------

export const UserAvailabilitySchema = CommonSchema.extend({
  EventType: z.literal("UserAvailability"),
  EntityType: z.literal("User"),
  Availability: AvailabilitySchema,
  EndTime: DotNetDateTimeSchema,
  EventSource: z.string().nullable(),
  Note: z.string().nullable(),
  OrganizationId: GuidSchema,
  ProfileId: GuidSchema,
  StartTime: DotNetDateTimeSchema,
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserCallInArrivedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInArrived"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserCallInComingSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInComing"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInDisconnectedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInDisconnected"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  Reason: DisconnectReasonSchema,
  TargetNumber: z.string(),
  TechReason: z.string().nullable(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInOverflowSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInOverflow"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  ConnectedTarget: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  OverflowApplet: z.string().nullable(),
  TargetNumber: z.string(),
  TechEvent: z.string().nullable(),
  TechNumber: z.string().nullable(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInTransferCancelledSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInTransferCancelled"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  Reason: z.string(),
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  TransferApplet: z.string().nullable(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInTransferConnectedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInTransferConnected"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  ConnectedTarget: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  TransferApplet: z.string().nullable(),
  TransferSource: z.string().nullable(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInTransferStartedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInTransferStarted"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  TransferApplet: z.string().nullable(),
  TransferSource: z.string().nullable(),
  TransferTarget: z.string(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallInUserAllocatedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInUserAllocated"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
  UserNumber: z.string(),
}).strict();

export const UserCallInUserCancelledSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInUserCancelled"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  Reason: z.string(),
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserCallInUserConnectedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInUserConnected"),
  EntityType: z.literal("User"),
  AgentLegId: z.string(),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
  UserNumber: z.string(),
}).strict();

export const UserCallInUserOverflowSchema = CommonSchema.extend({
  EventType: z.literal("UserCallInUserOverflow"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  Reason: UserOverflowReasonSchema,
  Target: z.string(),
  TargetNumber: z.string(),
  UserId: GuidSchema,
  Username: z.string(),
}).strict();

export const UserCallOutConnectedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallOutConnected"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserCallOutDisconnectedSchema = CommonSchema.extend({
  EventType: z.literal("UserCallOutDisconnected"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  Reason: DisconnectReasonSchema,
  TargetNumber: z.string(),
  TechReason: z.string().nullable(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserCallOutGoingSchema = CommonSchema.extend({
  EventType: z.literal("UserCallOutGoing"),
  EntityType: z.literal("User"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const UserStatusSchema = CommonSchema.extend({
  EventType: z.literal("UserStatus"),
  EntityType: z.literal("User"),
  ActiveQueueId: GuidSchema.nullable(),
  ActiveQueues: IntSchema,
  Available: z.boolean(),
  CanBeAllocatedTo: z.boolean(),
  OrganizationId: GuidSchema,
  ParkedCalls: IntSchema,
  Schedule: z.boolean(),
  ServiceTerminals: IntSchema,
  Serving: z.boolean(),
  ServingCallback: z.boolean(),
  Talking: z.boolean(),
  UserId: GuidSchema,
  WrapUpEnd: DotNetDateTimeSchema.nullable(),
}).strict();

export const UserSupervisionStatusSchema = CommonSchema.extend({
  EventType: z.literal("UserSupervisionStatus"),
  EntityType: z.literal("User"),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema.nullable(),
  QueueName: z.string().nullable(),
  /** `SupervisionState`: the values are not documented. */
  State: z.string(),
  SupervisorLegId: z.string().nullable(),
  SupervisorUserId: GuidSchema,
  SupervisorUserName: z.string(),
  TargetUserId: GuidSchema,
  TargetUserName: z.string(),
}).strict();

export const UserWrapUpEnabledSchema = CommonSchema.extend({
  EventType: z.literal("UserWrapUpEnabled"),
  EntityType: z.literal("User"),
  CallId: GuidSchema,
  LegId: z.string(),
  MaxWrapUpDurationSec: IntSchema,
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  UserId: GuidSchema,
}).strict();

export const UserWrapUpStartedSchema = CommonSchema.extend({
  EventType: z.literal("UserWrapUpStarted"),
  EntityType: z.literal("User"),
  CallId: GuidSchema,
  LegId: z.string(),
  MaxWrapUpDurationSec: IntSchema,
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  UserId: GuidSchema,
}).strict();

export const UserWrapUpTerminatedSchema = CommonSchema.extend({
  EventType: z.literal("UserWrapUpTerminated"),
  EntityType: z.literal("User"),
  CallId: GuidSchema,
  ElapsedTimeSec: IntSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  /** e.g. "manual" or "timer"; the full set is not documented. */
  Reason: z.string(),
  UserId: GuidSchema,
}).strict();

// ---------------------------------------------------------------------------------------------------------------
// Queue events
// ---------------------------------------------------------------------------------------------------------------

export const QueueAttachedUsersSchema = CommonSchema.extend({
  EventType: z.literal("QueueAttachedUsers"),
  EntityType: z.literal("Queue"),
  AttachedUsers: z.array(QueueAttachedUserSchema),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
}).strict();

export const QueueCallInArrivedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInArrived"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  QueueNumber: z.string(),
  TargetNumber: z.string(),
}).strict();

export const QueueCallInComingSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInComing"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  QueueNumber: z.string(),
  TargetNumber: z.string(),
}).strict();

export const QueueCallInDisconnectedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInDisconnected"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  Reason: DisconnectReasonSchema,
  TargetNumber: z.string(),
  TechReason: z.string().nullable(),
}).strict();

export const QueueCallInOverflowSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInOverflow"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  OverflowApplet: z.string().nullable(),
  QueueId: GuidSchema,
  QueueName: z.string(),
  TargetNumber: z.string(),
  TechEvent: z.string().nullable(),
  TechNumber: z.string().nullable(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
}).strict();

export const QueueCallInTransferCancelledSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInTransferCancelled"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  Reason: z.string(),
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  TransferApplet: z.string().nullable(),
}).strict();

export const QueueCallInTransferConnectedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInTransferConnected"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  ConnectedTarget: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  TechSource: z.string().nullable(),
  TransferApplet: z.string().nullable(),
}).strict();

export const QueueCallInTransferStartedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInTransferStarted"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  TargetNumber: z.string(),
  TechQueueId: GuidSchema,
  TechQueueName: z.string(),
  /** Sic: the sibling transfer events call this property `TechSource`. */
  TechType: z.string().nullable(),
  TransferApplet: z.string().nullable(),
  TransferSource: z.string().nullable(),
  TransferTarget: z.string(),
}).strict();

export const QueueCallInUserAllocatedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInUserAllocated"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  QueueNumber: z.string(),
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const QueueCallInUserCancelledSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInUserCancelled"),
  EntityType: z.literal("Queue"),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  DetailedReason: z.string().nullable(),
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  QueueNumber: z.string(),
  Reason: DisconnectReasonSchema,
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
}).strict();

export const QueueCallInUserConnectedSchema = CommonSchema.extend({
  EventType: z.literal("QueueCallInUserConnected"),
  EntityType: z.literal("Queue"),
  AgentLegId: z.string(),
  CallerNumber: z.string(),
  CallId: GuidSchema,
  LegId: z.string(),
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
  QueueNumber: z.string(),
  TargetNumber: z.string(),
  UserId: GuidSchema,
  UserName: z.string(),
  UserNumber: z.string(),
}).strict();

export const QueueStatusSchema = CommonSchema.extend({
  EventType: z.literal("QueueStatus"),
  EntityType: z.literal("Queue"),
  MaxWaitTime: IntSchema,
  NbrOfAgentsCheckedInQueue: IntSchema,
  NbrOfAgentsImmediatelyFree: IntSchema,
  NbrOfAgentsLongTermAway: IntSchema,
  NbrOfAgentsOnWrapUp: IntSchema,
  NbrOfAgentsShortTermAway: IntSchema,
  NbrOfAllocated: IntSchema,
  NbrOfConnected: IntSchema,
  NbrOfNotServedRequesters: IntSchema,
  NbrOfProviders: IntSchema,
  NbrOfQueuingRequesters: IntSchema,
  NbrOfRequesters: IntSchema,
  NbrOfServingAgentsEstimate: IntSchema,
  OpenStatus: QueueOpenStatusSchema,
  OrganizationId: GuidSchema,
  QueueId: GuidSchema,
  QueueName: z.string(),
}).strict();

// ---------------------------------------------------------------------------------------------------------------
// CallList events
// ---------------------------------------------------------------------------------------------------------------

export const CallbackChangedSchema = CommonSchema.extend({
  EventType: z.literal("CallbackChanged"),
  EntityType: z.literal("CallList"),
  AssignedUserId: GuidSchema.nullable(),
  CalculatedPriority: z.string().nullable(),
  CallbackAttempts: z.array(CallbackAttemptSchema),
  CallbackExtras: z.array(CallbackExtraSchema),
  /** Sic: capital B. */
  CallBackId: GuidSchema,
  CallbackRelatedItems: z.array(CallbackRelatedItemSchema),
  CallId: GuidSchema.nullable(),
  CallListId: GuidSchema,
  /** Usually the service pool name; a manually created item need not have one. */
  ChannelIn: z.string().nullable(),
  ClassificationId: GuidSchema.nullable(),
  ContactMessage: z.string().nullable(),
  ContactName: z.string().nullable(),
  ContactNumber: z.string(),
  CreationTime: DotNetDateTimeSchema,
  DueDate: DotNetDateTimeSchema.nullable(),
  ExpiryDate: DotNetDateTimeSchema.nullable(),
  LastAttemptNote: z.string().nullable(),
  LastAttemptTimestamp: DotNetDateTimeSchema.nullable(),
  LastAttemptTypeId: IntSchema.nullable(),
  LastAttemptUserId: GuidSchema.nullable(),
  LastModifiedUserId: GuidSchema.nullable(),
  Modified: DotNetDateTimeSchema,
  NotBefore: DotNetDateTimeSchema.nullable(),
  Note: z.string().nullable(),
  OrganizationId: GuidSchema,
  RecordingId: GuidSchema.nullable(),
  TranscriptId: GuidSchema.nullable(),
  TypeId: CallbackTypeIdSchema,
}).strict();

export const CallbackListStatusSchema = CommonSchema.extend({
  EventType: z.literal("CallbackListStatus"),
  EntityType: z.literal("CallList"),
  CallListId: GuidSchema,
  ExpiresIn24h: IntSchema,
  IsAutoAllocate: z.boolean(),
  NextHourOverDueDate: IntSchema,
  NextHourRevealedNotBefore: IntSchema,
  OrganizationId: GuidSchema,
  TotalActiveAgents: IntSchema,
  TotalAssigned: IntSchema,
  TotalAutoAllocateAgents: IntSchema,
  TotalFreeForAllocation: IntSchema,
  TotalHidingNotBefore: IntSchema,
  TotalOpenRequests: IntSchema,
  TotalOverDueDate: IntSchema,
  TotalServingAgents: IntSchema,
  TotalServingAutoAllocateAgents: IntSchema,
}).strict();

// ---------------------------------------------------------------------------------------------------------------
// Inferred types
// ---------------------------------------------------------------------------------------------------------------

export type Common = z.infer<typeof CommonSchema>;
export type UserAvailability = z.infer<typeof UserAvailabilitySchema>;
export type UserCallInArrived = z.infer<typeof UserCallInArrivedSchema>;
export type UserCallInComing = z.infer<typeof UserCallInComingSchema>;
export type UserCallInDisconnected = z.infer<typeof UserCallInDisconnectedSchema>;
export type UserCallInOverflow = z.infer<typeof UserCallInOverflowSchema>;
export type UserCallInTransferCancelled = z.infer<typeof UserCallInTransferCancelledSchema>;
export type UserCallInTransferConnected = z.infer<typeof UserCallInTransferConnectedSchema>;
export type UserCallInTransferStarted = z.infer<typeof UserCallInTransferStartedSchema>;
export type UserCallInUserAllocated = z.infer<typeof UserCallInUserAllocatedSchema>;
export type UserCallInUserCancelled = z.infer<typeof UserCallInUserCancelledSchema>;
export type UserCallInUserConnected = z.infer<typeof UserCallInUserConnectedSchema>;
export type UserCallInUserOverflow = z.infer<typeof UserCallInUserOverflowSchema>;
export type UserCallOutConnected = z.infer<typeof UserCallOutConnectedSchema>;
export type UserCallOutDisconnected = z.infer<typeof UserCallOutDisconnectedSchema>;
export type UserCallOutGoing = z.infer<typeof UserCallOutGoingSchema>;
export type UserStatus = z.infer<typeof UserStatusSchema>;
export type UserSupervisionStatus = z.infer<typeof UserSupervisionStatusSchema>;
export type UserWrapUpEnabled = z.infer<typeof UserWrapUpEnabledSchema>;
export type UserWrapUpStarted = z.infer<typeof UserWrapUpStartedSchema>;
export type UserWrapUpTerminated = z.infer<typeof UserWrapUpTerminatedSchema>;
export type QueueAttachedUsers = z.infer<typeof QueueAttachedUsersSchema>;
export type QueueCallInArrived = z.infer<typeof QueueCallInArrivedSchema>;
export type QueueCallInComing = z.infer<typeof QueueCallInComingSchema>;
export type QueueCallInDisconnected = z.infer<typeof QueueCallInDisconnectedSchema>;
export type QueueCallInOverflow = z.infer<typeof QueueCallInOverflowSchema>;
export type QueueCallInTransferCancelled = z.infer<typeof QueueCallInTransferCancelledSchema>;
export type QueueCallInTransferConnected = z.infer<typeof QueueCallInTransferConnectedSchema>;
export type QueueCallInTransferStarted = z.infer<typeof QueueCallInTransferStartedSchema>;
export type QueueCallInUserAllocated = z.infer<typeof QueueCallInUserAllocatedSchema>;
export type QueueCallInUserCancelled = z.infer<typeof QueueCallInUserCancelledSchema>;
export type QueueCallInUserConnected = z.infer<typeof QueueCallInUserConnectedSchema>;
export type QueueStatus = z.infer<typeof QueueStatusSchema>;
export type CallbackChanged = z.infer<typeof CallbackChangedSchema>;
export type CallbackListStatus = z.infer<typeof CallbackListStatusSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Registry, in the document's order
// ---------------------------------------------------------------------------------------------------------------

export type EnreachEntityType = "User" | "Queue" | "CallList";

export interface EnreachEventDef {
  name: string;
  entityType: EnreachEntityType;
  description: string;
  schema: z.ZodObject<z.ZodRawShape>;
}

/** Each event's description is the document's own one-line summary, verbatim. */
export const enreachEvents = {
  UserAvailability: {
    name: "UserAvailability",
    entityType: "User",
    description: "User's current availability state",
    schema: UserAvailabilitySchema,
  },
  UserCallInArrived: {
    name: "UserCallInArrived",
    entityType: "User",
    description: "Incoming call. Current target is user. Call entered for allocation.",
    schema: UserCallInArrivedSchema,
  },
  UserCallInComing: {
    name: "UserCallInComing",
    entityType: "User",
    description: "Incoming direct call to user entered BeneController.",
    schema: UserCallInComingSchema,
  },
  UserCallInDisconnected: {
    name: "UserCallInDisconnected",
    entityType: "User",
    description: "User call was disconnected.",
    schema: UserCallInDisconnectedSchema,
  },
  UserCallInOverflow: {
    name: "UserCallInOverflow",
    entityType: "User",
    description: "Incoming call, currently for user, overflows to next routing target.",
    schema: UserCallInOverflowSchema,
  },
  UserCallInTransferCancelled: {
    name: "UserCallInTransferCancelled",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Transfer cancelled.",
    schema: UserCallInTransferCancelledSchema,
  },
  UserCallInTransferConnected: {
    name: "UserCallInTransferConnected",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Transfer to overflow target connected.",
    schema: UserCallInTransferConnectedSchema,
  },
  UserCallInTransferStarted: {
    name: "UserCallInTransferStarted",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Transfer to overflow target started.",
    schema: UserCallInTransferStartedSchema,
  },
  UserCallInUserAllocated: {
    name: "UserCallInUserAllocated",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Call allocated to user.",
    schema: UserCallInUserAllocatedSchema,
  },
  UserCallInUserCancelled: {
    name: "UserCallInUserCancelled",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Call allocation to user cancelled.",
    schema: UserCallInUserCancelledSchema,
  },
  UserCallInUserConnected: {
    name: "UserCallInUserConnected",
    entityType: "User",
    description: "Incoming call, currently targeted to user. Call allocation to user connected.",
    schema: UserCallInUserConnectedSchema,
  },
  UserCallInUserOverflow: {
    name: "UserCallInUserOverflow",
    entityType: "User",
    description: "Worknumber call is overflowing to other destination",
    schema: UserCallInUserOverflowSchema,
  },
  UserCallOutConnected: {
    name: "UserCallOutConnected",
    entityType: "User",
    description: "Outgoing call",
    schema: UserCallOutConnectedSchema,
  },
  UserCallOutDisconnected: {
    name: "UserCallOutDisconnected",
    entityType: "User",
    description: "User call was disconnected.",
    schema: UserCallOutDisconnectedSchema,
  },
  UserCallOutGoing: {
    name: "UserCallOutGoing",
    entityType: "User",
    description: "Outgoing direct call initiated by a user",
    schema: UserCallOutGoingSchema,
  },
  UserStatus: {
    name: "UserStatus",
    entityType: "User",
    description:
      "UserStatus changed. UserStatus represents users status from queue components view. Contains information about users serving status, such as talking, available and the ultimate “can receive calls” result.",
    schema: UserStatusSchema,
  },
  UserSupervisionStatus: {
    name: "UserSupervisionStatus",
    entityType: "User",
    description: "This is emitted when supervisor status relating to a call changed.",
    schema: UserSupervisionStatusSchema,
  },
  UserWrapUpEnabled: {
    name: "UserWrapUpEnabled",
    entityType: "User",
    description:
      "Event emitted after a service call connects to indicate that wrap-up time is enabled for the call. This is used by clients supporting wrap-up functionality to indicate to the end user that wrap-up time is in progress after the call completes.",
    schema: UserWrapUpEnabledSchema,
  },
  UserWrapUpStarted: {
    name: "UserWrapUpStarted",
    entityType: "User",
    description:
      "Event emitted after a call with wrap-up functionality enabled disconnects and thus wrap-up time starts. It is relayed to supporting clients to indicate that wrap-up is ongoing and no calls are allocated during that time.",
    schema: UserWrapUpStartedSchema,
  },
  UserWrapUpTerminated: {
    name: "UserWrapUpTerminated",
    entityType: "User",
    description:
      "Emitted after wrap-up time for given call ends. It is emitted both when the maximum allowed time is up, and when an explicit termination request has been handled by the backend.",
    schema: UserWrapUpTerminatedSchema,
  },
  QueueAttachedUsers: {
    name: "QueueAttachedUsers",
    entityType: "Queue",
    // Verbatim: the document repeats QueueCallInArrived's description here.
    description: "Incoming call was accepted into service queue.",
    schema: QueueAttachedUsersSchema,
  },
  QueueCallInArrived: {
    name: "QueueCallInArrived",
    entityType: "Queue",
    description: "Incoming call was accepted into service queue.",
    schema: QueueCallInArrivedSchema,
  },
  QueueCallInComing: {
    name: "QueueCallInComing",
    entityType: "Queue",
    description: "New incoming call to service or technical queue entered BeneController.",
    schema: QueueCallInComingSchema,
  },
  QueueCallInDisconnected: {
    name: "QueueCallInDisconnected",
    entityType: "Queue",
    description: "Incoming call. Current target is service or technical queue. Call was disconnected.",
    schema: QueueCallInDisconnectedSchema,
  },
  QueueCallInOverflow: {
    name: "QueueCallInOverflow",
    entityType: "Queue",
    description:
      "Incoming call. Current target is service or technical queue. Call overflows to next routing point.",
    schema: QueueCallInOverflowSchema,
  },
  QueueCallInTransferCancelled: {
    name: "QueueCallInTransferCancelled",
    entityType: "Queue",
    description:
      "Incoming call. Current target is service or technical queue. Transferring the call forward was cancelled.",
    schema: QueueCallInTransferCancelledSchema,
  },
  QueueCallInTransferConnected: {
    name: "QueueCallInTransferConnected",
    entityType: "Queue",
    description:
      "Incoming call. Current target is service or technical queue. Transferring the call forward was connected.",
    schema: QueueCallInTransferConnectedSchema,
  },
  QueueCallInTransferStarted: {
    name: "QueueCallInTransferStarted",
    entityType: "Queue",
    description:
      "Incoming call. Current target is service or technical queue. Transferring the call forward was started.",
    schema: QueueCallInTransferStartedSchema,
  },
  QueueCallInUserAllocated: {
    name: "QueueCallInUserAllocated",
    entityType: "Queue",
    description: "Incoming call. Current target is service or technical queue. Allocated to an agent.",
    schema: QueueCallInUserAllocatedSchema,
  },
  QueueCallInUserCancelled: {
    name: "QueueCallInUserCancelled",
    entityType: "Queue",
    description:
      "Incoming call. Current target is service or technical queue. Allocation to agent was cancelled.",
    schema: QueueCallInUserCancelledSchema,
  },
  QueueCallInUserConnected: {
    name: "QueueCallInUserConnected",
    entityType: "Queue",
    description: "Incoming call. Current target is service or technical queue. Answered by an agent.",
    schema: QueueCallInUserConnectedSchema,
  },
  QueueStatus: {
    name: "QueueStatus",
    entityType: "Queue",
    description: "Service queue status message, contains various counter values.",
    schema: QueueStatusSchema,
  },
  CallbackChanged: {
    name: "CallbackChanged",
    entityType: "CallList",
    description: "Produced when a callback request changes (is created, updated, closed etc).",
    schema: CallbackChangedSchema,
  },
  CallbackListStatus: {
    name: "CallbackListStatus",
    entityType: "CallList",
    description:
      "Emitted with the latest status of each call list, if the status changed. Status changes are evaluated every 15 seconds. Can be used to construct alerts based on open items, automagically assign more agents to the lists or just simple dashboards.",
    schema: CallbackListStatusSchema,
  },
} as const satisfies Record<string, EnreachEventDef>;

export type EnreachEventName = keyof typeof enreachEvents;

export const enreachEventNames = Object.keys(enreachEvents) as EnreachEventName[];

/** Any Enreach webhook body, discriminated by `EventType` (which equals the X-Benemen-Event header). */
export const EnreachEventSchema = z.discriminatedUnion("EventType", [
  UserAvailabilitySchema,
  UserCallInArrivedSchema,
  UserCallInComingSchema,
  UserCallInDisconnectedSchema,
  UserCallInOverflowSchema,
  UserCallInTransferCancelledSchema,
  UserCallInTransferConnectedSchema,
  UserCallInTransferStartedSchema,
  UserCallInUserAllocatedSchema,
  UserCallInUserCancelledSchema,
  UserCallInUserConnectedSchema,
  UserCallInUserOverflowSchema,
  UserCallOutConnectedSchema,
  UserCallOutDisconnectedSchema,
  UserCallOutGoingSchema,
  UserStatusSchema,
  UserSupervisionStatusSchema,
  UserWrapUpEnabledSchema,
  UserWrapUpStartedSchema,
  UserWrapUpTerminatedSchema,
  QueueAttachedUsersSchema,
  QueueCallInArrivedSchema,
  QueueCallInComingSchema,
  QueueCallInDisconnectedSchema,
  QueueCallInOverflowSchema,
  QueueCallInTransferCancelledSchema,
  QueueCallInTransferConnectedSchema,
  QueueCallInTransferStartedSchema,
  QueueCallInUserAllocatedSchema,
  QueueCallInUserCancelledSchema,
  QueueCallInUserConnectedSchema,
  QueueStatusSchema,
  CallbackChangedSchema,
  CallbackListStatusSchema,
]);

export type EnreachEvent = z.infer<typeof EnreachEventSchema>;
