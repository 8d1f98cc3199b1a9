/** Quality API calls (one function per endpoint), typed by the generated schema. */
import { allPages, api, unwrap, type Schemas } from "@/lib/api/client";

export type AgreementOutput = Schemas["AgreementOutput"];
export type AgreementReport = Schemas["AgreementReport"];
export type AgreementPoint = Schemas["AgreementPoint"];
export type ItemReview = Schemas["ItemReviewOutput"];
export type ReviewQueueEntry = Schemas["ReviewQueueEntry"];
export type GoldOutput = Schemas["GoldOutput"];
export type ConsistencyFlag = Schemas["ConsistencyFlagOutput"];
export type QualitySettings = Schemas["QualitySettingsOutput"];

const path = (projectId: number) => ({ path: { project_id: projectId } });

export function getAgreement(projectId: number): Promise<AgreementOutput> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/quality/agreement/", { params: path(projectId) }));
}

export function requestRecompute(projectId: number): Promise<unknown> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/quality/agreement/recompute/", { params: path(projectId) }));
}

export function getReviewQueue(projectId: number, state: "pending" | "done" | "all"): Promise<Schemas["ReviewQueueOutput"]> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/quality/review-queue/", {
      params: { path: { project_id: projectId }, query: { state, limit: 500 } },
    }),
  );
}

/** Lease the next item to review; null when the queue is empty. */
export async function leaseNextReview(projectId: number): Promise<number | null> {
  const { data, response } = await api.POST("/api/v1/projects/{project_id}/quality/review-queue/next/", {
    params: path(projectId),
  });
  if (response.status === 204) return null;
  if (!response.ok || !data) throw new Error(`HTTP ${response.status}`);
  return data.item.id;
}

export function getItemReview(projectId: number, itemId: number): Promise<ItemReview> {
  return unwrap(
    api.GET("/api/v1/projects/{project_id}/quality/items/{item_id}/review/", {
      params: { path: { project_id: projectId, item_id: itemId } },
    }),
  );
}

export function saveConsensus(
  projectId: number,
  itemId: number,
  body: Schemas["ConsensusInputRequest"],
): Promise<Schemas["AnnotationOutput"]> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/quality/items/{item_id}/consensus/", {
      params: { path: { project_id: projectId, item_id: itemId } },
      body,
    }),
  );
}

export function getGold(projectId: number): Promise<GoldOutput> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/quality/gold/", { params: path(projectId) }));
}

export function getFlags(projectId: number): Promise<ConsistencyFlag[]> {
  return allPages(
    api.GET("/api/v1/projects/{project_id}/quality/flags/", {
      params: { path: { project_id: projectId }, query: { status: "open", page_size: 500 } },
    }),
  );
}

export function setFlagStatus(projectId: number, id: number, status: "open" | "dismissed"): Promise<ConsistencyFlag> {
  return unwrap(
    api.POST("/api/v1/projects/{project_id}/quality/flags/{id}/status/", {
      params: { path: { project_id: projectId, id } },
      body: { status },
    }),
  );
}

export function getQualitySettings(projectId: number): Promise<QualitySettings> {
  return unwrap(api.GET("/api/v1/projects/{project_id}/quality/settings/", { params: path(projectId) }));
}

export function updateQualitySettings(
  projectId: number,
  body: Schemas["PatchedQualitySettingsInputRequest"],
): Promise<QualitySettings> {
  return unwrap(api.PATCH("/api/v1/projects/{project_id}/quality/settings/", { params: path(projectId), body }));
}

export function setGold(projectId: number, item: number, annotation: number): Promise<Schemas["GoldItem"]> {
  return unwrap(api.POST("/api/v1/projects/{project_id}/quality/gold/", { params: path(projectId), body: { item, annotation } }));
}
