import { useState } from "react";

import { api, ApiError, unwrap } from "@/lib/api/client";
import { useAsync } from "@/lib/use-async";

import { getProjectSetup } from "./api";
import { ProjectNav } from "./project-nav";

const ROLES = ["admin", "reviewer", "annotator", "researcher"] as const;

export function MembersPage({ projectId }: { projectId: number }) {
  const setup = useAsync(() => getProjectSetup(projectId), [projectId]);
  const members = useAsync(() => unwrap(api.GET("/api/v1/projects/{project_id}/members/", { params: { path: { project_id: projectId } } })), [projectId]);
  const [name, setName] = useState("");
  const [role, setRole] = useState<(typeof ROLES)[number]>("annotator");
  const [message, setMessage] = useState("");
  if (!setup.data || !members.data) return <main className="page"><p className="muted">{(setup.error ?? members.error)?.message ?? "Loading…"}</p></main>;
  const isAdmin = setup.data.project.role === "admin";
  const act = async (f: () => Promise<unknown>) => {
    setMessage("");
    try {
      await f();
      members.reload();
    } catch (e) {
      setMessage(e instanceof ApiError ? e.message : String(e));
    }
  };
  return (
    <>
      <ProjectNav project={setup.data.project} />
      <main className="page narrow" data-testid="members">
        <h1>Members</h1>
        <table className="table">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.id}>
                <td className="plain">{m.username}</td>
                <td>
                  {isAdmin ? (
                    <select
                      aria-label={`Role of ${m.username}`}
                      value={m.role}
                      onChange={(e) =>
                        void act(() => unwrap(api.POST("/api/v1/projects/{project_id}/members/", { params: { path: { project_id: projectId } }, body: { username: m.username, role: e.target.value as (typeof ROLES)[number] } })))
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>{new Date(m.created_at).toLocaleDateString()}</td>
                <td>
                  {isAdmin && (
                    <button type="button" onClick={() => void act(() => unwrap(api.DELETE("/api/v1/projects/{project_id}/members/{id}/", { params: { path: { project_id: projectId, id: m.id } } })))}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {isAdmin && (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => unwrap(api.POST("/api/v1/projects/{project_id}/members/", { params: { path: { project_id: projectId } }, body: { username: name, role } }))).then(() => setName(""));
            }}
          >
            <input aria-label="Username" placeholder="username" value={name} onChange={(e) => setName(e.target.value)} required />
            <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <button type="submit">Add member</button>
          </form>
        )}
        {message && <p className="error plain">{message}</p>}
      </main>
    </>
  );
}
