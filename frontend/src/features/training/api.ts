/** Reward-model endpoints (docs/reward-models.md): models, runs, versions, scores, triage. */
import { allPages, api, unwrap, type Schemas } from "@/lib/api/client";

export type RewardModel = Schemas["RewardModelOutput"];
export type TrainingRun = Schemas["TrainingRunOutput"];
export type TrainingRunRow = Schemas["TrainingRunListOutput"];
export type Version = Schemas["VersionOutput"];
export type ScoreJob = Schemas["ScoreJobOutput"];
export type TriageEntry = Schemas["TriageEntryOutput"];

/** One logged training step and one held-out evaluation, as the worker stores them. */
export type HistoryPoint = { step: number; epoch: number; loss: number; learning_rate: number; tokens_per_second: number };
export type Evaluation = { epoch: number; step: number; primary: number | null; primary_name: string } & Record<string, unknown>;

const p = (projectId: number) => ({ project_id: projectId });

export const getRewardModels = (projectId: number) =>
  allPages(api.GET("/api/v1/projects/{project_id}/reward-models/", { params: { path: p(projectId) } }));

export const getRewardModel = (projectId: number, id: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/reward-models/{id}/", { params: { path: { ...p(projectId), id } } }));

export const createRewardModel = (projectId: number, body: Schemas["RewardModelCreateInputRequest"]) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/reward-models/", { params: { path: p(projectId) }, body }));

export const updateRewardModel = (projectId: number, id: number, body: Schemas["PatchedRewardModelUpdateInputRequest"]) =>
  unwrap(api.PATCH("/api/v1/projects/{project_id}/reward-models/{id}/", { params: { path: { ...p(projectId), id } }, body }));

export const startRun = (projectId: number, rewardModelId: number) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/runs/", {
      params: { path: { ...p(projectId), reward_model_id: rewardModelId } },
      body: {},
    }),
  );

export const getRuns = (projectId: number, rewardModelId: number) =>
  allPages(api.GET("/api/v1/projects/{project_id}/training-runs/", { params: { path: p(projectId), query: { reward_model: rewardModelId } } }));

export const getRun = (projectId: number, id: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/training-runs/{id}/", { params: { path: { ...p(projectId), id } } }));

export const getVersions = (projectId: number, rewardModelId: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/versions/", { params: { path: { ...p(projectId), reward_model_id: rewardModelId } } }));

export const compareVersions = (projectId: number, rewardModelId: number, a: number, b: number) =>
  unwrap(
    api.GET("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/versions/compare/", {
      params: { path: { ...p(projectId), reward_model_id: rewardModelId }, query: { a, b } },
    }),
  );

export const activateVersion = (projectId: number, rewardModelId: number, id: number) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/versions/{id}/activate/", {
      params: { path: { ...p(projectId), reward_model_id: rewardModelId, id } },
    }),
  );

export const rollback = (projectId: number, rewardModelId: number) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/rollback/", { params: { path: { ...p(projectId), reward_model_id: rewardModelId } } }));

export const requestScore = (projectId: number, rewardModelId: number, inputs: Schemas["ScoreInputEntryRequest"][]) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/score/", {
      params: { path: { ...p(projectId), reward_model_id: rewardModelId } },
      body: { inputs },
    }),
  );

export const getScoreJob = (projectId: number, id: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/score-jobs/{id}/", { params: { path: { ...p(projectId), id } } }));

export const getTriage = (projectId: number, rewardModelId: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/reward-models/{reward_model_id}/triage/", { params: { path: { ...p(projectId), reward_model_id: rewardModelId } } }));

export const isFinished = (status: string) => status === "succeeded" || status === "failed";
