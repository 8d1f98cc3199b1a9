/** Project-level reads shared by several pages. */
import { api, unwrap, type Schemas } from "@/lib/api/client";
import { criteriaOf, errorTypesOf, type ErrorType, type Project, type RubricCriterion } from "@/types";

export type ProjectSetup = {
  project: Project;
  errorTypes: ErrorType[];
  criteria: RubricCriterion[];
  taxonomies: Schemas["TaxonomyOutput"][];
  rubrics: Schemas["RubricOutput"][];
};

export async function getProjectSetup(projectId: number): Promise<ProjectSetup> {
  const path = { project_id: projectId };
  const [project, taxonomies, rubrics] = await Promise.all([
    unwrap(api.GET("/api/v1/projects/{id}/", { params: { path: { id: projectId } } })),
    unwrap(api.GET("/api/v1/projects/{project_id}/taxonomies/", { params: { path } })),
    unwrap(api.GET("/api/v1/projects/{project_id}/rubrics/", { params: { path } })),
  ]);
  const taxonomy = taxonomies.find((t) => t.status === "published");
  const rubric = rubrics.find((r) => r.status === "published");
  return { project, errorTypes: errorTypesOf(taxonomy), criteria: criteriaOf(rubric), taxonomies, rubrics };
}

export function username(): string {
  return document.getElementById("root")?.dataset.username ?? "";
}
