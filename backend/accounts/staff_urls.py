"""Staff's management of groups and invites, mounted at `/api/v1/staff/` (config.urls)."""

from django.urls import path

from accounts import staff

urlpatterns = [
    path("groups/", staff.StaffGroupsView.as_view(), name="staff-groups"),
    path("groups/<int:pk>/", staff.StaffGroupView.as_view(), name="staff-group"),
    path("groups/<int:pk>/members/", staff.StaffGroupMembersView.as_view(), name="staff-group-members"),
    path("groups/<int:pk>/members/<int:user_id>/", staff.StaffGroupMemberView.as_view(), name="staff-group-member"),
    path("invites/", staff.StaffInvitesView.as_view(), name="staff-invites"),
    path("invites/<int:pk>/", staff.StaffInviteView.as_view(), name="staff-invite"),
]
