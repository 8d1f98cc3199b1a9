import { Link, useRouter } from "@/lib/router";
import type { Project } from "@/types";

const TABS = [
  { path: "", label: "Dashboard", roles: null },
  { path: "/annotate", label: "Annotate", roles: ["admin", "annotator", "reviewer"] },
  { path: "/review", label: "Review", roles: ["admin", "reviewer"] },
  { path: "/taxonomy", label: "Taxonomy", roles: null },
  { path: "/rubric", label: "Rubric", roles: null },
  { path: "/members", label: "Members", roles: null },
  { path: "/import", label: "Import", roles: ["admin"] },
  { path: "/training", label: "Training", roles: null },
  { path: "/quality", label: "Quality", roles: null },
  { path: "/judges", label: "Judges", roles: null },
];

export function ProjectNav({ project }: { project: Project }) {
  const { path } = useRouter();
  const base = `/projects/${project.id}`;
  return (
    <nav className="project-nav" aria-label="Project">
      <span className="project-name plain">{project.name}</span>
      {TABS.filter((t) => !t.roles || t.roles.includes(project.role ?? "")).map((t) => {
        const to = base + t.path;
        const current = t.path === "" ? path === base || path === `${base}/` : path.startsWith(to);
        return (
          <Link key={t.path} to={to} aria-current={current ? "page" : undefined}>
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
