/** Judge endpoints (docs/judges.md): judges, runs, per-item results, calibration, templates. */
import { allPages, api, ApiError, unwrap, type Schemas } from "@/lib/api/client";

export type Judge = Schemas["JudgeOutput"];
export type JudgeRun = Schemas["JudgeRunOutput"];
export type JudgeResult = Schemas["JudgeResultOutput"];
export type Calibration = Schemas["JudgeCalibrationOutput"];
export type CalibrationReport = Schemas["CalibrationReport"];
export type RunCreate = Schemas["JudgeRunCreateInputRequest"];
export type RunFilters = Schemas["JudgeRunFiltersRequest"];
export type RunOptions = Schemas["JudgeRunOptionsRequest"];
export type JudgeKind = Schemas["JudgeKindEnum"];
export type JudgeTask = Schemas["JudgeTaskEnum"];
export type PromptTemplate = Schemas["PromptTemplateOutput"];

const p = (projectId: number) => ({ project_id: projectId });
const j = (projectId: number, judgeId: number) => ({ project_id: projectId, judge_id: judgeId });

export const getJudges = (projectId: number) => unwrap(api.GET("/api/v1/projects/{project_id}/judges/", { params: { path: p(projectId) } }));

export const getJudge = (projectId: number, judgeId: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/judges/{judge_id}/", { params: { path: j(projectId, judgeId) } }));

/** A judge as the form sends it; `config` is the kind's shape (judges/kinds.py checks it). */
export type JudgeWrite = { name: string; kind: JudgeKind; model_name?: string; config: Record<string, unknown> | null };
type ConfigBody = Schemas["JudgeConfigRequest"];

export const createJudge = (projectId: number, { config, ...rest }: JudgeWrite) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/judges/", { params: { path: p(projectId) }, body: { ...rest, config: config as ConfigBody | null } }));

/** Rename and replace the configuration whole (the kind cannot change). */
export const updateJudge = (projectId: number, judgeId: number, { name, model_name, config }: JudgeWrite) =>
  unwrap(
    api.PATCH("/api/v1/projects/{project_id}/judges/{judge_id}/", {
      params: { path: j(projectId, judgeId) },
      body: { name, ...(model_name !== undefined ? { model_name } : {}), ...(config ? { config: config as ConfigBody } : {}) },
    }),
  );

export const getAllowedHosts = (projectId: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/judges/allowed-hosts/", { params: { path: p(projectId) } }));

export const getPromptTemplates = (projectId: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/judges/prompt-templates/", { params: { path: p(projectId) } }));

/** Every run of the project, oldest first (the list has no "latest first" order). */
export const getRuns = (projectId: number, judgeId: number) =>
  allPages(api.GET("/api/v1/projects/{project_id}/judges/{judge_id}/runs/", { params: { path: j(projectId, judgeId), query: { page_size: 500 } } }));

export const getRun = (projectId: number, judgeId: number, id: number) =>
  unwrap(api.GET("/api/v1/projects/{project_id}/judges/{judge_id}/runs/{id}/", { params: { path: { ...j(projectId, judgeId), id } } }));

export const startRun = (projectId: number, judgeId: number, body: RunCreate) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/judges/{judge_id}/runs/", { params: { path: j(projectId, judgeId) }, body }));

export const cancelRun = (projectId: number, judgeId: number, id: number) =>
  unwrap(api.POST("/api/v1/projects/{project_id}/judges/{judge_id}/runs/{id}/cancel/", { params: { path: { ...j(projectId, judgeId), id } } }));

/** The failed results of a run (first 1,000). */
export const getFailures = (projectId: number, judgeId: number, id: number) =>
  allPages(
    api.GET("/api/v1/projects/{project_id}/judges/{judge_id}/runs/{id}/results/", {
      params: { path: { ...j(projectId, judgeId), id }, query: { status: "failed", page_size: 200 } },
    }),
    5,
  );

/** The latest calibration report, or null before the first one is computed (404). */
export async function getCalibration(projectId: number, judgeId: number): Promise<Calibration | null> {
  const { data, error, response } = await api.GET("/api/v1/projects/{project_id}/judges/{judge_id}/calibration/", {
    params: { path: j(projectId, judgeId) },
  });
  if (response.status === 404) return null;
  if (!response.ok || !data) throw new ApiError(response.status, error);
  return data;
}

export const computeCalibration = (projectId: number, judgeId: number, spanResponses: number[] | null) =>
  unwrap(
    api.POST("/api/v1/projects/{project_id}/judges/{judge_id}/calibration/", {
      params: { path: j(projectId, judgeId) },
      body: spanResponses ? { span_responses: spanResponses } : {},
    }),
  );

export const runFinished = (status: string) => status === "succeeded" || status === "failed" || status === "cancelled";
